package org.calvinseq.core.apply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.calvinseq.core.testing.Results.sequenced;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.calvinseq.core.apply.ApplyResult.Kind;
import org.calvinseq.core.codec.EntryEncoder;
import org.calvinseq.core.codec.WireFormat;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.testing.Fixtures;

/**
 * Whatever one committed entry says (any epoch, any proposer clock, or bytes that do not decode),
 * and wherever the state machine stands (any next epoch that leaves room for the protocol's largest
 * gap, any previous epoch time), the next batch without an epoch is sequenced, as the epoch right
 * after whatever the entry did, with a time strictly after the previous one and at most {@link
 * WireFormat#MAX_EPOCH_MS_STEP} ahead of it.
 */
class NoEntryStopsSequencingPropertyTest {
  private static final Txn TXN = Fixtures.writing("c");

  @Property(tries = 2000)
  void noSingleEntryStopsLaterBatches(
      @ForAll("nextEpochs") long nextEpoch,
      @ForAll("times") long lastMs,
      @ForAll("epochs") long absoluteEpoch,
      @ForAll("offsets") long offset,
      @ForAll boolean relative,
      @ForAll("clocks") long proposerMs,
      @ForAll boolean garbage) {
    long namedEpoch =
        !relative
            ? absoluteEpoch
            : offset > Long.MAX_VALUE - nextEpoch ? Long.MAX_VALUE : nextEpoch + offset;
    EpochStateMachine sm = EpochStateMachine.builder().build();
    sm.restore(
        new SequencerState(
            sm.router().vshardCount(),
            10,
            nextEpoch,
            nextEpoch - 1,
            lastMs,
            List.of(),
            nextEpoch - 1,
            new long[0],
            List.of()));

    ApplyResult hostile =
        garbage
            ? sm.apply(11, new byte[] {(byte) 0x81, 0x00, (byte) 0xc1})
            : sm.apply(
                11, EntryEncoder.encode(new EpochBatch(namedEpoch, proposerMs, List.of(TXN))));
    long after = sm.nextEpoch();
    long msAfter = sm.lastEpochSystemMs();
    assertThat(after).isBetween(nextEpoch, nextEpoch + WireFormat.MAX_EPOCH_GAP + 1);
    if (hostile.sequenced()) {
      assertThat(msAfter).isGreaterThan(Math.max(lastMs, -1));
      if (lastMs >= 0) {
        assertThat(msAfter - lastMs).isLessThanOrEqualTo(WireFormat.MAX_EPOCH_MS_STEP);
      }
    } else {
      assertThat(after).isEqualTo(nextEpoch);
      assertThat(msAfter).isEqualTo(lastMs);
    }

    ApplyResult.Sequenced next =
        sequenced(sm.apply(12, EntryEncoder.encode(EpochBatch.auto(proposerMs, List.of(TXN)))));
    assertThat(next.kind()).isEqualTo(Kind.APPLIED);
    assertThat(next.epoch()).isEqualTo(after);
    assertThat(next.epochSystemMs()).isGreaterThan(msAfter);
    assertThat(sm.apply(13, EntryEncoder.encode(EpochBatch.auto(0, List.of(TXN)))).kind())
        .isEqualTo(Kind.APPLIED);
    assertThat(sm.nextEpoch()).isEqualTo(after + 2);
  }

  @Provide
  Arbitrary<Long> nextEpochs() {
    long top = WireFormat.MAX_EPOCH - WireFormat.MAX_EPOCH_GAP - 2;
    return Arbitraries.oneOf(
        Arbitraries.longs().between(0, top),
        Arbitraries.of(0L, 1L, top, top - 1, (long) Integer.MAX_VALUE + 1));
  }

  @Provide
  Arbitrary<Long> times() {
    long ceil = WireFormat.MAX_PROPOSER_MS;
    return Arbitraries.oneOf(
        Arbitraries.longs().between(-1, ceil + 1_000_000),
        Arbitraries.of(
            -1L, 0L, 1_700_000_000_000L, ceil, ceil - 1, ceil + 1, Long.MAX_VALUE - 3_600_000L));
  }

  @Provide
  Arbitrary<Long> clocks() {
    return Arbitraries.oneOf(
        Arbitraries.longs(),
        times(),
        Arbitraries.of(Long.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE + 1, Long.MAX_VALUE - 1));
  }

  /** Named epochs relative to the next one: at the protocol bound and just past it. */
  @Provide
  Arbitrary<Long> offsets() {
    long g = WireFormat.MAX_EPOCH_GAP;
    return Arbitraries.oneOf(
        Arbitraries.longs().between(0, 2 * g), Arbitraries.of(0L, 1L, g - 1, g, g + 1, 2 * g));
  }

  @Provide
  Arbitrary<Long> epochs() {
    return Arbitraries.oneOf(
        Arbitraries.longs().between(0, Long.MAX_VALUE),
        Arbitraries.of(
            EpochBatch.AUTO_EPOCH,
            0L,
            Long.MAX_VALUE,
            Long.MAX_VALUE - 1,
            Long.MAX_VALUE - 2,
            WireFormat.MAX_EPOCH_GAP,
            WireFormat.MAX_EPOCH_GAP + 1));
  }
}
