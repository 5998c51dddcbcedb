package org.calvinseq.core.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import org.calvinseq.core.apply.ApplyResult;
import org.calvinseq.core.codec.CodecException;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

/** The submission stream's messages (docs/wire-format.md, section 14b). */
class SubmissionStreamTest {
  @Test
  void submissionsAreMsgpackJavasBytesAtEveryIntegerBoundaryAndDecodeWithoutACopy()
      throws Exception {
    byte[] entry = new byte[300];
    java.util.Arrays.fill(entry, (byte) 9);
    for (long id :
        new long[] {
          0, 127, 128, 255, 256, 65_535, 65_536, 0xFFFF_FFFFL, 1L << 32, Long.MAX_VALUE
        }) {
      MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
      p.packArrayHeader(2).packLong(id).packBinaryHeader(entry.length).writePayload(entry);
      byte[] bytes = SubmissionStream.submission(id, entry);
      assertThat(bytes).as("request id %d", id).isEqualTo(p.toByteArray());
      // Decoded from the middle of a larger buffer: the entry is a view at the right place.
      ByteBuffer framed = ByteBuffer.allocate(bytes.length + 10);
      framed.position(4);
      framed.put(bytes).flip().position(4);
      SubmissionStream.Submission back = SubmissionStream.decodeSubmission(framed);
      assertThat(back.requestId()).isEqualTo(id);
      byte[] got = new byte[back.batchEntry().remaining()];
      back.batchEntry().duplicate().get(got);
      assertThat(got).isEqualTo(entry);
      assertThat(back.batchEntry().hasArray()).isTrue();
    }
    assertThatThrownBy(() -> SubmissionStream.submission(-1, entry))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aMessageThatIsNotASubmissionSaysWhatIsWrong() throws Exception {
    MessageBufferPacker one = MessagePack.newDefaultBufferPacker();
    one.packArrayHeader(1).packLong(5);
    assertThatThrownBy(() -> SubmissionStream.decodeSubmission(ByteBuffer.wrap(one.toByteArray())))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("[requestId, bin]");
    byte[] whole = SubmissionStream.submission(5, new byte[100]);
    ByteBuffer cut = ByteBuffer.wrap(whole, 0, whole.length - 1);
    assertThatThrownBy(() -> SubmissionStream.decodeSubmission(cut))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("past the message's end");
    MessageBufferPacker number = MessagePack.newDefaultBufferPacker();
    number.packArrayHeader(2).packLong(5).packInt(3);
    assertThatThrownBy(
            () -> SubmissionStream.decodeSubmission(ByteBuffer.wrap(number.toByteArray())))
        .isInstanceOf(CodecException.class);
  }

  @Test
  void answersCarryTheRequestIdAndARefusalMayNameTheLeader() throws Exception {
    BatchReceipt epoch = new BatchReceipt(ApplyResult.Kind.APPLIED, 3, 8, 99, 4, -1);
    var accepted = new Protocol.Submitted(epoch, 1, 2);
    var a =
        SubmissionStream.decodeAnswer(
            ByteBuffer.wrap(SubmissionStream.encodeAnswer(1L << 40, accepted)));
    assertThat(a.requestId()).isEqualTo(1L << 40);
    assertThat(a.reply()).isEqualTo(accepted);

    var redirect = new Protocol.SubmitRefused("NOT_LEADER", true, -1, false, 0, "go to n3", "n3");
    byte[] bytes = Protocol.encodeSubmitReply(redirect);
    assertThat(bytes[0]).as("7 elements when a leader is named").isEqualTo((byte) 0x97);
    assertThat(Protocol.decodeSubmitReply(ByteBuffer.wrap(bytes))).isEqualTo(redirect);
    var b =
        SubmissionStream.decodeAnswer(ByteBuffer.wrap(SubmissionStream.encodeAnswer(7, redirect)));
    assertThat(b.reply()).isEqualTo(redirect);

    var plain = new Protocol.SubmitRefused("CLOSED", true, -1, false, 10, "no inbox");
    assertThat(Protocol.encodeSubmitReply(plain)[0])
        .as("6 elements otherwise")
        .isEqualTo((byte) 0x96);
    // A 7th element that is nil names no leader.
    MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
    p.packArrayHeader(7).packInt(2).packString("CLOSED").packBoolean(true).packNil();
    p.packLong(10).packString("no inbox").packNil();
    assertThat(Protocol.decodeSubmitReply(ByteBuffer.wrap(p.toByteArray()))).isEqualTo(plain);
  }
}
