package org.calvinseq.core.apply;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.calvinseq.core.completion.CompletionRegistry;
import org.calvinseq.core.model.TxnId;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

class StateCodecTest {
  @Test
  void theCompletionEvictionWatermarkRoundTrips() throws Exception {
    SequencerState s =
        new SequencerState(
            8,
            41,
            12,
            11,
            5_000,
            List.of(),
            -1,
            new long[] {11, 41, 5_000},
            List.of(new CompletionRegistry.State(new TxnId(11, 0), 2, new int[] {3}, 4_900, false)),
            new CompletionRegistry.Watermark(9, 4_990));
    SequencerState back = StateCodec.decode(StateCodec.encode(s));
    assertThat(back).isEqualTo(s);
    assertThat(back.completionsEvicted()).isEqualTo(new CompletionRegistry.Watermark(9, 4_990));
  }

  @Test
  void aSnapshotWithoutTheWatermarkStaysReadable() throws Exception {
    MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
    p.packArrayHeader(10).packInt(1).packInt(8).packLong(41).packLong(12).packLong(11);
    p.packLong(5_000).packArrayHeader(0).packLong(-1).packArrayHeader(0).packArrayHeader(0);
    SequencerState back = StateCodec.decode(p.toByteArray());
    assertThat(back.lastAppliedIndex()).isEqualTo(41);
    assertThat(back.completionsEvicted()).isEqualTo(CompletionRegistry.Watermark.NONE);
  }
}
