package org.calvinseq.core.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.List;
import org.calvinseq.core.completion.CompletionOutcome;
import org.calvinseq.core.completion.CompletionState;
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
}
