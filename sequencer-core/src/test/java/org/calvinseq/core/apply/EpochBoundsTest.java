package org.calvinseq.core.apply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.calvinseq.core.codec.WireFormat.MAX_EPOCH;
import static org.calvinseq.core.codec.WireFormat.MAX_EPOCH_GAP;
import static org.calvinseq.core.codec.WireFormat.MAX_EPOCH_MS_STEP;
import static org.calvinseq.core.codec.WireFormat.MAX_PROPOSER_MS;
import static org.calvinseq.core.testing.Fixtures.auto;
import static org.calvinseq.core.testing.Fixtures.named;
import static org.calvinseq.core.testing.Fixtures.writing;
import static org.calvinseq.core.testing.Results.outOfRange;
import static org.calvinseq.core.testing.Results.sequenced;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.calvinseq.core.apply.ApplyResult.Kind;
import org.calvinseq.core.codec.CodecException;
import org.calvinseq.core.completion.CompletionRegistry;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.core.protocol.Protocol;
import org.calvinseq.core.queue.VShardConsumer;
import org.calvinseq.core.queue.VShardQueue;
import org.calvinseq.core.testing.Fixtures;
import org.calvinseq.core.testing.Harness;
import org.calvinseq.core.testing.StateMachineValidation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * No single committed entry may stop later batches from being sequenced: explicit epochs near 2^63,
 * gaps at the protocol bound, and the arithmetic of epochs, positions and epoch time at their edges
 * (issue 10 item 1).
 */
class EpochBoundsTest {
  @RegisterExtension final StateMachineValidation validation = new StateMachineValidation();

  private final Harness h = validation.track(Harness.builder().vshards(16).build());
  private final String col = Fixtures.twoCollectionsOnDistinctVShards(h.router)[0];
  private final int vshard = h.router.vshardOfCollection(col);

  private VShardQueue liveQueue() {
    VShardQueue q = h.sm.subscriptions().subscribe(vshard);
    q.requestResume(h.sm.currentCommittedEpoch());
    return q;
  }

  /** Puts the state machine at {@code nextEpoch} as if a long log had been applied. */
  private void restoreAt(long nextEpoch, long lastMs) {
    h.sm.restore(
        new SequencerState(
            16,
            h.nextIndex() - 1,
            nextEpoch,
            nextEpoch - 1,
            lastMs,
            List.of(),
            nextEpoch - 1,
            new long[0],
            List.of()));
  }

  /** The repro: one batch naming 2^63-2 used to make every later batch a decode error. */
  @Test
  void batchNamingTwoToTheSixtyThreeMinusTwoIsSkippedAndLaterBatchesAreSequenced()
      throws CodecException {
    VShardQueue q = liveQueue();
    h.apply(auto(1, writing(col)));

    ApplyResult.OutOfRange hostile =
        outOfRange(h.apply(named(Long.MAX_VALUE - 1, 2, writing(col))));

    assertThat(hostile.kind()).isEqualTo(Kind.OUT_OF_RANGE);
    assertThat(hostile.sequenced()).isFalse();
    assertThat(hostile.epoch()).isEqualTo(Long.MAX_VALUE - 1);
    assertThat(hostile.expectedEpoch()).isEqualTo(1);
    assertThat(hostile.detail()).contains("9223372036854775806").contains("next epoch 1");
    assertThat(h.sm.nextEpoch()).isEqualTo(1);
    assertThat(h.sm.gaps()).isEmpty();
    assertThat(h.sm.lastAppliedIndex()).isEqualTo(2);
    assertThat(h.counter("sequencer.epochs.out.of.range")).isEqualTo(1);
    assertThat(h.counter("sequencer.decode.errors")).isZero();
    BatchReceipt receipt = BatchReceipt.of(hostile);
    assertThat(Protocol.decodeReceipt(ByteBuffer.wrap(Protocol.encodeReceipt(receipt))))
        .as("the receipt reaches the proposer as OUT_OF_RANGE")
        .isEqualTo(receipt);
    assertThat(receipt.sequenced()).isFalse();

    ApplyResult.Sequenced next = sequenced(h.apply(auto(3, writing(col))));
    assertThat(next.kind()).isEqualTo(Kind.APPLIED);
    assertThat(next.epoch()).isEqualTo(1);
    assertThat(h.apply(named(2, 4, writing(col))).kind()).isEqualTo(Kind.APPLIED);
    assertThat(q.poll().epoch()).isZero();
    assertThat(q.poll().epoch()).isEqualTo(1);
    assertThat(q.poll().epoch()).isEqualTo(2);
    assertThat(q.poll()).isNull();
  }

  @Test
  void batchNamingTheLargestLongIsOutOfRangeNotADecodeError() {
    h.apply(auto(1));
    ApplyResult r = h.apply(named(Long.MAX_VALUE, 2));
    assertThat(r.kind()).isEqualTo(Kind.OUT_OF_RANGE);
    assertThat(h.counter("sequencer.decode.errors")).isZero();
    assertThat(sequenced(h.apply(auto(3))).epoch()).isEqualTo(1);
  }

  @Test
  void aGapOfExactlyTheProtocolBoundIsAppliedOneMoreIsOutOfRange() {
    h.apply(auto(1));
    ApplyResult.OutOfRange tooFar = outOfRange(h.apply(named(1 + MAX_EPOCH_GAP + 1, 2)));
    assertThat(tooFar.kind()).isEqualTo(Kind.OUT_OF_RANGE);
    assertThat(tooFar.detail()).contains("more than " + MAX_EPOCH_GAP);
    assertThat(h.sm.nextEpoch()).isEqualTo(1);

    ApplyResult atBound = h.apply(named(1 + MAX_EPOCH_GAP, 3));
    assertThat(atBound.kind()).isEqualTo(Kind.GAP);
    assertThat(h.sm.gaps()).containsExactly(new GapRange(1, MAX_EPOCH_GAP));
    assertThat(h.sm.gaps().get(0).size()).isEqualTo(MAX_EPOCH_GAP);
    assertThat(h.counter("sequencer.epoch.gap.epochs")).isEqualTo(MAX_EPOCH_GAP);
    assertThat(sequenced(h.apply(auto(4))).epoch()).isEqualTo(MAX_EPOCH_GAP + 2);
  }

  /** The epoch space ends at 2^63-2; every arithmetic step up to it must stay in range. */
  @Test
  void epochsUpToTheCeilingAreSequencedAndReplayedThenTheSpaceIsExhausted() {
    restoreAt(MAX_EPOCH - 10, 1_000);
    VShardQueue q = liveQueue();

    ApplyResult gap = h.apply(named(MAX_EPOCH - 1, 1_001, writing(col), writing(col)));
    assertThat(gap.kind()).isEqualTo(Kind.GAP);
    assertThat(h.sm.gaps()).containsExactly(new GapRange(MAX_EPOCH - 10, MAX_EPOCH - 2));
    ApplyResult.Sequenced last = sequenced(h.apply(auto(1_002, writing(col))));
    assertThat(last.kind()).isEqualTo(Kind.APPLIED);
    assertThat(last.epoch()).isEqualTo(MAX_EPOCH);
    assertThat(h.sm.nextEpoch()).isEqualTo(Long.MAX_VALUE);
    assertThat(BatchReceiptIds.of(last)).containsExactly(new TxnId(MAX_EPOCH, 0));

    // Exhausted: only reachable after ~2^63 / MAX_EPOCH_GAP entries. Skipped, never a throw.
    ApplyResult.OutOfRange beyond = outOfRange(h.apply(auto(1_003, writing(col))));
    assertThat(beyond.kind()).isEqualTo(Kind.OUT_OF_RANGE);
    assertThat(beyond.detail()).contains("above the last epoch " + MAX_EPOCH);
    assertThat(h.apply(named(MAX_EPOCH, 1_004)).kind()).isEqualTo(Kind.STALE);
    assertThat(h.sm.lastAppliedEpoch()).isEqualTo(MAX_EPOCH);

    assertThat(q.poll())
        .extracting(SequencedTxn::epoch, SequencedTxn::position)
        .containsExactly(MAX_EPOCH - 1, 0);
    assertThat(q.poll().position()).isEqualTo(1);
    assertThat(q.poll().epoch()).isEqualTo(MAX_EPOCH);

    List<SequencedTxn> replayed = new ArrayList<>();
    h.replayer().replay(vshard, MAX_EPOCH - 1, Long.MAX_VALUE).forEachRemaining(replayed::add);
    assertThat(replayed)
        .extracting(SequencedTxn::epoch)
        .containsExactly(MAX_EPOCH - 1, MAX_EPOCH - 1, MAX_EPOCH);
    assertThat(h.replayer().replay(vshard, Long.MAX_VALUE, Long.MAX_VALUE).hasNext()).isFalse();
  }

  /**
   * A consumer resuming at the top of the epoch space, mid-epoch and after a whole epoch: replay
   * ranges and "the epoch after" stay in range, and each txn arrives once, in (epoch, position)
   * order.
   */
  @Test
  void consumersResumeAtTheTopOfTheEpochSpace() {
    restoreAt(MAX_EPOCH - 1, 1_000);
    h.apply(auto(1_001, writing(col), writing(col), writing(col)));
    h.apply(auto(1_002, writing(col)));

    VShardConsumer mid =
        new VShardConsumer(
            h.sm.subscriptions(), vshard, new TxnId(MAX_EPOCH - 1, 1), h.replayer(), h.metrics);
    assertThat(mid.poll())
        .extracting(SequencedTxn::epoch, SequencedTxn::position)
        .containsExactly(MAX_EPOCH - 1, 2);
    assertThat(mid.poll())
        .extracting(SequencedTxn::epoch, SequencedTxn::position)
        .containsExactly(MAX_EPOCH, 0);
    assertThat(mid.poll()).isNull();
    mid.close();

    VShardConsumer whole =
        new VShardConsumer(h.sm.subscriptions(), vshard, MAX_EPOCH - 1, h.replayer(), h.metrics);
    assertThat(whole.poll().epoch()).isEqualTo(MAX_EPOCH);
    assertThat(whole.poll()).isNull();
    whole.close();

    VShardConsumer done =
        new VShardConsumer(
            h.sm.subscriptions(),
            vshard,
            new TxnId(MAX_EPOCH, Integer.MAX_VALUE),
            h.replayer(),
            h.metrics);
    assertThat(done.poll()).as("nothing after the last txn there can be").isNull();
    done.close();
    assertThat(new TxnId(MAX_EPOCH, Integer.MAX_VALUE)).isGreaterThan(new TxnId(MAX_EPOCH, 0));
  }

  // ---- epoch time ----

  @Test
  void epochTimeStepIsBoundedSoOneWildClockCannotPinItAtTheEnd() {
    assertThat(sequenced(h.apply(auto(1_000))).epochSystemMs()).isEqualTo(1_000);
    assertThat(sequenced(h.apply(auto(Long.MAX_VALUE))).epochSystemMs())
        .isEqualTo(1_000 + MAX_EPOCH_MS_STEP);
    assertThat(sequenced(h.apply(auto(Long.MIN_VALUE))).epochSystemMs())
        .isEqualTo(1_001 + MAX_EPOCH_MS_STEP);
    assertThat(sequenced(h.apply(auto(-1))).epochSystemMs()).isEqualTo(1_002 + MAX_EPOCH_MS_STEP);
    // A sane clock later on is taken as it is.
    long now = 1_700_000_000_000L;
    assertThat(sequenced(h.apply(auto(now))).epochSystemMs())
        .isEqualTo(1_002 + 2 * MAX_EPOCH_MS_STEP);
    assertThat(h.sm.lastEpochSystemMs()).isLessThan(Long.MAX_VALUE / 2);
  }

  @Test
  void firstEpochTimeIsCappedAtTheLastRepresentableDate() {
    assertThat(sequenced(h.apply(auto(Long.MAX_VALUE))).epochSystemMs()).isEqualTo(MAX_PROPOSER_MS);
    assertThat(sequenced(h.apply(auto(Long.MAX_VALUE))).epochSystemMs())
        .isEqualTo(MAX_PROPOSER_MS + 1);
    assertThat(sequenced(h.apply(auto(5))).epochSystemMs()).isEqualTo(MAX_PROPOSER_MS + 2);
  }

  @Test
  void epochTimeArithmeticIsTotalAtEveryEdge() {
    assertThat(EpochStateMachine.epochSystemMs(Long.MIN_VALUE, -1)).isZero();
    assertThat(EpochStateMachine.epochSystemMs(-5, -1)).isZero();
    assertThat(EpochStateMachine.epochSystemMs(Long.MAX_VALUE, -1)).isEqualTo(MAX_PROPOSER_MS);
    assertThat(EpochStateMachine.epochSystemMs(7, Long.MIN_VALUE)).isEqualTo(7);
    assertThat(EpochStateMachine.epochSystemMs(Long.MAX_VALUE, 0)).isEqualTo(MAX_EPOCH_MS_STEP);
    assertThat(EpochStateMachine.epochSystemMs(Long.MAX_VALUE, MAX_PROPOSER_MS - 1))
        .isEqualTo(MAX_PROPOSER_MS);
    assertThat(EpochStateMachine.epochSystemMs(Long.MAX_VALUE, MAX_PROPOSER_MS))
        .isEqualTo(MAX_PROPOSER_MS + 1);
    assertThat(EpochStateMachine.epochSystemMs(0, Long.MAX_VALUE - 1)).isEqualTo(Long.MAX_VALUE);
    // Only a state written before the step bound can hold Long.MAX_VALUE: it saturates, no wrap.
    assertThat(EpochStateMachine.epochSystemMs(0, Long.MAX_VALUE)).isEqualTo(Long.MAX_VALUE);
    assertThat(EpochStateMachine.epochSystemMs(Long.MIN_VALUE, Long.MAX_VALUE))
        .isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void aStateRestoredAtTheEndOfTimeStillSequences() {
    restoreAt(5, Long.MAX_VALUE);
    ApplyResult.Sequenced r = sequenced(h.apply(auto(1)));
    assertThat(r.kind()).isEqualTo(Kind.APPLIED);
    assertThat(r.epoch()).isEqualTo(5);
    assertThat(r.epochSystemMs()).isEqualTo(Long.MAX_VALUE);
  }

  // ---- completion retention with extreme times ----

  @Test
  void completionRetentionDoesNotWrapWhenTimesAreFarApart() {
    CompletionRegistry c = new CompletionRegistry(600_000, 100, Runnable::run);
    c.apply(List.of(Fixtures.ack(0, 0, 1, 2)), -1);
    assertThat(c.trackedCount()).isEqualTo(1);
    c.apply(List.of(Fixtures.ack(0, 1, 1, 2)), Long.MAX_VALUE);
    assertThat(c.acked(new TxnId(0, 0))).as("acked at -1, evicted at 2^63-1").isEmpty();
    assertThat(c.trackedCount()).isEqualTo(1);

    CompletionRegistry d = new CompletionRegistry(Long.MAX_VALUE, 100, Runnable::run);
    d.apply(List.of(Fixtures.ack(0, 0, 1, 2)), -1);
    d.apply(List.of(Fixtures.ack(0, 1, 1, 2)), Long.MAX_VALUE);
    assertThat(d.trackedCount()).as("2^63 ms is more than a retention of 2^63-1").isEqualTo(1);

    CompletionRegistry e = new CompletionRegistry(600_000, 100, Runnable::run);
    e.apply(List.of(Fixtures.ack(0, 0, 1, 2)), 1_000);
    e.apply(List.of(Fixtures.ack(0, 1, 1, 2)), 601_000);
    assertThat(e.trackedCount()).as("exactly the retention: kept").isEqualTo(2);
    e.apply(List.of(), 601_001);
    assertThat(e.trackedCount()).isEqualTo(1);
  }

  /** The txn ids of a sequenced batch at the top of the epoch space. */
  private static final class BatchReceiptIds {
    static List<TxnId> of(ApplyResult r) {
      return BatchReceipt.of(r).txnIds();
    }
  }
}
