package org.calvinseq.core.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.List;
import org.calvinseq.core.apply.ApplyResult;
import org.calvinseq.core.codec.CodecException;
import org.calvinseq.core.completion.CompletionOutcome;
import org.calvinseq.core.completion.CompletionState;
import org.calvinseq.core.model.NotSequenced;
import org.calvinseq.core.model.TxnId;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

class ProtocolTest {
  @Test
  void aReplayPageSaysThroughWhichEpochTheRangeIsComplete() throws Exception {
    Protocol.ReplayPage p = new Protocol.ReplayPage(List.of(), true, -1, 41);
    Protocol.ReplayPage back = Protocol.decodePage(ByteBuffer.wrap(Protocol.encodePage(p)));
    assertThat(back.completeThroughEpoch()).isEqualTo(41);
    assertThat(back.done()).isTrue();
    assertThat(back.firstAvailableEpoch()).isEqualTo(-1);
  }

  @Test
  void aPageOfAnOlderNodeHasNoCompleteThroughEpoch() throws Exception {
    MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
    p.packArrayHeader(3).packArrayHeader(0).packBoolean(true).packLong(-1);
    Protocol.ReplayPage back = Protocol.decodePage(ByteBuffer.wrap(p.toByteArray()));
    assertThat(back.done()).isTrue();
    assertThat(back.completeThroughEpoch()).isEqualTo(Protocol.UNKNOWN_EPOCH);
  }

  @Test
  void aCompletionAnswerSaysWhetherTheStateWasEvicted() throws Exception {
    var s = new CompletionState(new TxnId(7, 3), CompletionOutcome.EVICTED, new int[0], 12, 1_000L);
    var back = Protocol.decodeCompletion(ByteBuffer.wrap(Protocol.encodeCompletion(s)));
    assertThat(back.outcome()).isEqualTo(CompletionOutcome.EVICTED);
    assertThat(back.completed()).isFalse();
    assertThat(back.evictedThroughEpoch()).isEqualTo(12);
    assertThat(back.evictedAtMs()).isEqualTo(1_000L);
  }

  @Test
  void aCompletionAnswerOfAnOlderNodeReadsAsCompletedOrNotAcked() throws Exception {
    MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
    p.packArrayHeader(4).packLong(7).packInt(3).packBoolean(false).packArrayHeader(0);
    var back = Protocol.decodeCompletion(ByteBuffer.wrap(p.toByteArray()));
    assertThat(back.outcome()).isEqualTo(CompletionOutcome.UNKNOWN);
    MessageBufferPacker q = MessagePack.newDefaultBufferPacker();
    q.packArrayHeader(4).packLong(7).packInt(3).packBoolean(true).packArrayHeader(1).packInt(2);
    back = Protocol.decodeCompletion(ByteBuffer.wrap(q.toByteArray()));
    assertThat(back.outcome()).isEqualTo(CompletionOutcome.COMPLETED);
    assertThat(back.acked()).containsExactly(2);
  }

  @Test
  void aSubmissionCarriesItsBatchEntryAndItsAnswerRoundTrips() throws Exception {
    byte[] entry = {1, 2, 3};
    Protocol.Query q = Protocol.decodeQuery(ByteBuffer.wrap(Protocol.submitQuery(entry)));
    assertThat(q).isInstanceOf(Protocol.SubmitQ.class);
    ByteBuffer carried = ((Protocol.SubmitQ) q).batchEntry();
    byte[] back = new byte[carried.remaining()];
    carried.get(back);
    assertThat(back).containsExactly(1, 2, 3);

    BatchReceipt epoch =
        new BatchReceipt(
            ApplyResult.Kind.APPLIED,
            9,
            5,
            77,
            6,
            -1,
            List.of(NotSequenced.duplicate(3, new TxnId(2, 1))));
    var accepted = new Protocol.Submitted(epoch, 2, 3);
    var decoded =
        (Protocol.Submitted)
            Protocol.decodeSubmitReply(ByteBuffer.wrap(Protocol.encodeSubmitReply(accepted)));
    assertThat(decoded).isEqualTo(accepted);
    assertThat(decoded.txnId(0)).isEqualTo(new TxnId(5, 2));
    assertThat(decoded.txnId(1)).as("a duplicate's original id").isEqualTo(new TxnId(2, 1));

    var refused =
        new Protocol.SubmitRefused("TENANT_SHARE_TXNS", true, -2L, true, 10, "inbox full for x");
    assertThat(Protocol.decodeSubmitReply(ByteBuffer.wrap(Protocol.encodeSubmitReply(refused))))
        .as("an unsigned tenant above 2^63-1 survives")
        .isEqualTo(refused);
    var noTenant = new Protocol.SubmitRefused("MALFORMED", false, -1, false, -1, "bad");
    assertThat(Protocol.decodeSubmitReply(ByteBuffer.wrap(Protocol.encodeSubmitReply(noTenant))))
        .isEqualTo(noTenant);
    assertThatThrownBy(() -> new Protocol.Submitted(epoch, 4, 3))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> Protocol.decodeSubmitReply(ByteBuffer.wrap(Protocol.encodeReceipt(epoch))))
        .isInstanceOf(CodecException.class);
  }

  @Test
  void submitQueriesAreMsgpackJavasBytesAtEveryBinaryHeaderBoundary() throws Exception {
    for (int n : new int[] {0, 1, 255, 256, 65_535, 65_536, 100_000}) {
      byte[] entry = new byte[n];
      java.util.Arrays.fill(entry, (byte) 7);
      MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
      p.packArrayHeader(2).packInt(4).packBinaryHeader(n).writePayload(entry);
      assertThat(Protocol.submitQuery(entry)).as("entry of %d bytes", n).isEqualTo(p.toByteArray());
    }
  }

  @Test
  void answersLargerThanThePackersFirstBufferRoundTrip() throws Exception {
    List<NotSequenced> retried = new java.util.ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      retried.add(NotSequenced.duplicate(i, new TxnId(Long.MAX_VALUE - i, i)));
    }
    BatchReceipt epoch = new BatchReceipt(ApplyResult.Kind.APPLIED, 9, 5, 77, 1_000, -1, retried);
    var accepted = new Protocol.Submitted(epoch, 0, 1_000);
    assertThat(Protocol.decodeSubmitReply(ByteBuffer.wrap(Protocol.encodeSubmitReply(accepted))))
        .isEqualTo(accepted);
    var refused =
        new Protocol.SubmitRefused("MALFORMED", false, 3, true, -1, "x\u00e9".repeat(2_000));
    assertThat(Protocol.decodeSubmitReply(ByteBuffer.wrap(Protocol.encodeSubmitReply(refused))))
        .isEqualTo(refused);
  }

  private static BatchReceipt roundTrip(BatchReceipt r) throws Exception {
    return Protocol.decodeReceipt(ByteBuffer.wrap(Protocol.encodeReceipt(r)));
  }

  @Test
  void aReceiptWithoutRetriesStaysVersion1ForOlderClients() throws Exception {
    BatchReceipt r = new BatchReceipt(ApplyResult.Kind.APPLIED, 5, 3, 100, 2, -1);
    byte[] bytes = Protocol.encodeReceipt(r);
    assertThat(bytes[0]).as("7 elements").isEqualTo((byte) 0x97);
    assertThat(bytes[bytes.length - 1]).as("version 1").isEqualTo((byte) 1);
    assertThat(roundTrip(r)).isEqualTo(r);
    assertThat(roundTrip(r).txnIds()).containsExactly(new TxnId(3, 0), new TxnId(3, 1));
  }

  @Test
  void aReceiptWithRetriesIsVersion2AndGivesEachTxnItsId() throws Exception {
    BatchReceipt r =
        new BatchReceipt(
            ApplyResult.Kind.GAP,
            9,
            Long.MAX_VALUE - 1,
            100,
            4,
            7,
            List.of(
                NotSequenced.duplicate(1, new TxnId(Long.MAX_VALUE - 2, Integer.MAX_VALUE)),
                NotSequenced.tooOld(3)));
    BatchReceipt back = roundTrip(r);
    assertThat(back).isEqualTo(r);
    assertThat(back.txnId(0)).isEqualTo(new TxnId(Long.MAX_VALUE - 1, 0));
    assertThat(back.txnId(1)).isEqualTo(new TxnId(Long.MAX_VALUE - 2, Integer.MAX_VALUE));
    assertThat(back.txnId(2)).isEqualTo(new TxnId(Long.MAX_VALUE - 1, 2));
    assertThat(back.notSequenced(3).reason()).isEqualTo(NotSequenced.Reason.SEQUENCE_TOO_OLD);
    assertThatThrownBy(() -> back.txnId(3)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> back.txnId(4)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void aVersion2ReceiptWithAnUnknownReasonOrABadOriginalIsRefused() {
    for (int[] entry : new int[][] {{0, 3, 1, 1}, {0, 1, -5, 1}, {0, 1, 1, -5}, {2, 1, 1, 1}}) {
      MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
      try {
        p.packArrayHeader(8).packInt(0).packLong(1).packLong(2).packLong(3).packInt(2);
        p.packLong(-1).packInt(2).packArrayHeader(1).packArrayHeader(4);
        for (int v : entry) {
          p.packInt(v);
        }
      } catch (java.io.IOException e) {
        throw new AssertionError(e);
      }
      assertThatThrownBy(() -> Protocol.decodeReceipt(ByteBuffer.wrap(p.toByteArray())))
          .as("entry %s", java.util.Arrays.toString(entry))
          .isInstanceOfSatisfying(
              CodecException.class, e -> assertThat(e.field()).isEqualTo("receipt.notSequenced"));
    }
  }

  @Test
  void notSequencedValuesAreChecked() {
    assertThatThrownBy(() -> new NotSequenced(0, NotSequenced.Reason.DUPLICATE, null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> new NotSequenced(0, NotSequenced.Reason.SEQUENCE_TOO_OLD, new TxnId(1, 1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> NotSequenced.tooOld(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                new BatchReceipt(
                    ApplyResult.Kind.APPLIED,
                    1,
                    1,
                    1,
                    2,
                    -1,
                    List.of(NotSequenced.tooOld(1), NotSequenced.tooOld(0))))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
