package org.calvinseq.core.apply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.calvinseq.core.codec.CodecException;
import org.calvinseq.core.completion.CompletionRegistry;
import org.calvinseq.core.dedupe.ClientWindows;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.replay.EpochIndex;
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

  private static SequencerState withDedupe() {
    return new SequencerState(
        8,
        41,
        13,
        12,
        5_001,
        List.of(),
        -1,
        new long[] {11, 40, 5_000, 12, 41, 5_001},
        List.of(),
        CompletionRegistry.Watermark.NONE,
        2,
        List.of(new EpochIndex.Holes(12, new int[] {0, 2})),
        List.of(
            new ClientWindows.Client(
                -1, 5_000, false, 0, new long[] {Long.MAX_VALUE, Long.MIN_VALUE + 1, 11, 0}),
            new ClientWindows.Client(7, 5_001, true, 3, new long[] {4, 6, 12, 1})));
  }

  @Test
  void theDedupeStateRoundTripsAtVersion2() throws Exception {
    SequencerState s = withDedupe();
    byte[] bytes = StateCodec.encode(s);
    assertThat(bytes[1]).as("the version element").isEqualTo((byte) 2);
    SequencerState back = StateCodec.decode(bytes);
    assertThat(back).isEqualTo(s);
    assertThat(back.clients().get(0).runs())
        .containsExactly(Long.MAX_VALUE, Long.MIN_VALUE + 1, 11, 0);
    assertThat(back.clients().get(1).forgottenThrough()).isEqualTo(3);
    assertThat(back.epochHoles().get(0).positions()).containsExactly(0, 2);
    assertThat(back.rulesVersion()).isEqualTo(2);
    assertThat(StateCodec.encode(back)).isEqualTo(bytes);
  }

  @Test
  void aVersion1SnapshotWithTheWatermarkLoadsWithoutDedupeState() throws Exception {
    MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
    p.packArrayHeader(12).packInt(1).packInt(8).packLong(41).packLong(12).packLong(11);
    p.packLong(5_000).packArrayHeader(0).packLong(-1).packArrayHeader(0).packArrayHeader(0);
    p.packLong(9).packLong(4_990);
    SequencerState back = StateCodec.decode(p.toByteArray());
    assertThat(back.completionsEvicted()).isEqualTo(new CompletionRegistry.Watermark(9, 4_990));
    assertThat(back.clients()).isEmpty();
    assertThat(back.epochHoles()).isEmpty();
    assertThat(back.rulesVersion()).as("the rules before de-duplication").isEqualTo(1);
  }

  @Test
  void aVersion2SnapshotMustHoldTheDedupeState() {
    MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
    try {
      p.packArrayHeader(12).packInt(2).packInt(8).packLong(41).packLong(12).packLong(11);
      p.packLong(5_000).packArrayHeader(0).packLong(-1).packArrayHeader(0).packArrayHeader(0);
      p.packLong(9).packLong(4_990);
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
    assertThatThrownBy(() -> StateCodec.decode(p.toByteArray()))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("version 2 with 12 elements");
  }

  @Test
  void malformedDedupeStateIsRefusedWithACodecException() throws Exception {
    SequencerState good = withDedupe();
    List<ClientWindows.Client> twice = List.of(good.clients().get(1), good.clients().get(1));
    // Built through the codec's own path: encode a state, then damage the bytes of one field.
    byte[] bytes = StateCodec.encode(good);
    byte[] runs = java.util.HexFormat.of().parseHex("940406" + "0c01");
    int at = indexOf(bytes, runs);
    assertThat(at).isPositive();
    byte[] bad = bytes.clone();
    bad[at + 1] = 7; // the run 7..6: last below first
    assertThatThrownBy(() -> StateCodec.decode(bad))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("bad run");
    assertThatThrownBy(
            () ->
                new SequencerState(
                    8,
                    41,
                    13,
                    12,
                    5_001,
                    List.of(),
                    -1,
                    new long[0],
                    List.of(),
                    CompletionRegistry.Watermark.NONE,
                    2,
                    List.of(),
                    twice))
        .isInstanceOf(IllegalArgumentException.class);
    List<ClientWindows.Client> outOfOrder = List.of(good.clients().get(1), good.clients().get(0));
    assertThatThrownBy(
            () ->
                new SequencerState(
                    8,
                    41,
                    13,
                    12,
                    5_001,
                    List.of(),
                    -1,
                    new long[0],
                    List.of(),
                    CompletionRegistry.Watermark.NONE,
                    2,
                    List.of(),
                    outOfOrder))
        .as("clients not in last-seen order")
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new EpochIndex.Holes(3, new int[] {2, 2}))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
