package org.calvinseq.core.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.List;
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
}
