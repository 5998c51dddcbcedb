package org.calvinseq.core.apply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.calvinseq.core.testing.Fixtures.auto;
import static org.calvinseq.core.testing.Fixtures.named;
import static org.calvinseq.core.testing.Results.sequenced;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.calvinseq.core.apply.ApplyResult.Kind;
import org.calvinseq.core.dedupe.DedupeLimits;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.ClusterInit;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.NotSequenced;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.core.protocol.Protocol;
import org.calvinseq.core.queue.VShardQueue;
import org.calvinseq.core.testing.Fixtures;
import org.calvinseq.core.testing.Harness;
import org.calvinseq.core.testing.StateMachineValidation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Exactly-once in the apply path (docs/wire-format.md section 9a): a retried txn is recognised by
 * its client txn id and not delivered again, live or by replay; the receipt tells the proposer the
 * id it got the first time; the window's edges behave as documented.
 */
class DedupeApplyTest {
  private static final long T0 = 1_700_000_000_000L;

  @RegisterExtension final StateMachineValidation validation = new StateMachineValidation();

  private final Harness h = validation.track(activated(Harness.builder().vshards(4).build()));
  private final String col = Fixtures.collectionOn(h.router, 1);

  /** {@code harness} after the cluster-init entry that turns de-duplication on (apply rules 2). */
  private static Harness activated(Harness harness) {
    harness.apply(new ClusterInit(harness.router.vshardCount(), "test"));
    return harness;
  }

  private static Txn txn(long client, long seq, String collection) {
    return new Txn(
        new ClientTxnId(client, seq),
        0,
        List.of(),
        List.of(Key.of(collection, "k" + seq)),
        new byte[] {(byte) seq});
  }

  private Txn txn(long client, long seq) {
    return txn(client, seq, col);
  }

  private VShardQueue liveQueue(Harness harness, int vshard) {
    VShardQueue q = harness.sm.subscriptions().subscribe(vshard);
    q.requestResume(harness.sm.currentCommittedEpoch());
    return q;
  }

  private static List<SequencedTxn> drain(VShardQueue q) {
    List<SequencedTxn> out = new ArrayList<>();
    for (SequencedTxn t; (t = q.poll()) != null; ) {
      out.add(t);
    }
    return out;
  }

  private static List<SequencedTxn> replay(Harness harness, int vshard) {
    List<SequencedTxn> out = new ArrayList<>();
    harness
        .replayer()
        .replay(vshard, 0, Math.max(0, harness.sm.lastAppliedEpoch()))
        .forEachRemaining(out::add);
    return out;
  }

  @Test
  void aRetriedBatchTakesAnEpochButDeliversNothingAndItsReceiptGivesTheOriginalIds()
      throws Exception {
    VShardQueue q = liveQueue(h, 1);
    ApplyResult.Sequenced first = sequenced(h.apply(auto(T0, txn(9, 1), txn(9, 2))));
    assertThat(first.notSequenced()).isEmpty();
    ApplyResult.Sequenced retry = sequenced(h.apply(auto(T0 + 5, txn(9, 1), txn(9, 2))));

    assertThat(retry.kind()).isEqualTo(Kind.APPLIED);
    assertThat(retry.epoch()).isEqualTo(1);
    assertThat(retry.txnCount()).isEqualTo(2);
    assertThat(retry.sequencedCount()).isZero();
    assertThat(retry.notSequenced())
        .containsExactly(
            NotSequenced.duplicate(0, new TxnId(0, 0)), NotSequenced.duplicate(1, new TxnId(0, 1)));
    assertThat(drain(q)).extracting(SequencedTxn::id).containsExactly(tid(0, 0), tid(0, 1));
    assertThat(replay(h, 1)).extracting(SequencedTxn::id).containsExactly(tid(0, 0), tid(0, 1));
    assertThat(h.counter("sequencer.txns.sequenced")).isEqualTo(2);
    assertThat(h.counter("sequencer.txns.not.sequenced", "reason", "duplicate")).isEqualTo(2);
    assertThat(h.counter("sequencer.epochs.applied")).isEqualTo(2);
    assertThat(h.sm.metrics().counters().duplicates()).isEqualTo(2);

    // What the proposer reads, through the wire.
    BatchReceipt r =
        Protocol.decodeReceipt(ByteBuffer.wrap(Protocol.encodeReceipt(BatchReceipt.of(retry))));
    assertThat(r.sequenced()).isTrue();
    assertThat(r.txnIds()).containsExactly(tid(0, 0), tid(0, 1));
    assertThat(r.notSequenced(1).reason()).isEqualTo(NotSequenced.Reason.DUPLICATE);
  }

  @Test
  void aMixedBatchSequencesOnlyItsNewTxnsAtTheirPositions() throws Exception {
    Txn noId = new Txn(null, 0, List.of(), List.of(Key.of(col, "x")), new byte[] {1});
    h.apply(auto(T0, txn(9, 1), noId));
    VShardQueue q = liveQueue(h, 1);
    ApplyResult.Sequenced r =
        sequenced(h.apply(auto(T0 + 1, txn(9, 3), txn(9, 1), noId, txn(9, 3), txn(8, 1))));
    assertThat(r.notSequenced())
        .as("the retry of 9/1, and 9/3 twice in one batch; the txn without an id never")
        .containsExactly(
            NotSequenced.duplicate(1, new TxnId(0, 0)), NotSequenced.duplicate(3, new TxnId(1, 0)));
    assertThat(drain(q))
        .extracting(SequencedTxn::id)
        .containsExactly(tid(1, 0), tid(1, 2), tid(1, 4));
    assertThat(replay(h, 1))
        .extracting(SequencedTxn::id)
        .containsExactly(tid(0, 0), tid(0, 1), tid(1, 0), tid(1, 2), tid(1, 4));
    BatchReceipt receipt = BatchReceipt.of(r);
    assertThat(receipt.txnIds())
        .containsExactly(tid(1, 0), tid(0, 0), tid(1, 2), tid(1, 0), tid(1, 4));
    assertThat(receipt.notSequenced(2)).isNull();
  }

  @Test
  void aSequenceBelowTheWindowIsRefusedAsTooOld() {
    Harness small =
        validation.track(
            activated(
                Harness.builder()
                    .vshards(4)
                    .dedupeLimits(new DedupeLimits(2, 10, 60_000))
                    .build()));
    small.apply(auto(T0, txn(9, 1)));
    small.apply(auto(T0 + 1, txn(9, 2)));
    small.apply(auto(T0 + 2, txn(9, 3))); // three runs for two: sequence 1 is forgotten
    VShardQueue q = liveQueue(small, 1);
    ApplyResult.Sequenced r = sequenced(small.apply(auto(T0 + 3, txn(9, 1), txn(9, 2))));
    assertThat(r.notSequenced())
        .containsExactly(NotSequenced.tooOld(0), NotSequenced.duplicate(1, new TxnId(1, 0)));
    assertThat(drain(q)).isEmpty();
    assertThat(small.counter("sequencer.txns.not.sequenced", "reason", "sequence_too_old"))
        .isEqualTo(1);
    assertThat(small.sm.metrics().counters().sequenceTooOld()).isEqualTo(1);
    BatchReceipt receipt = BatchReceipt.of(r);
    assertThat(receipt.txnId(1)).isEqualTo(tid(1, 0));
    assertThatThrownBy(() -> receipt.txnId(0))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("below its client's window");
    assertThatThrownBy(receipt::txnIds).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aClientIdleLongerThanTheExpiryIsForgottenAndItsRetryIsSequencedAgain() {
    Harness small =
        validation.track(
            activated(
                Harness.builder().vshards(4).dedupeLimits(new DedupeLimits(4, 10, 1_000)).build()));
    small.apply(auto(T0, txn(9, 1)));
    small.apply(auto(T0, txn(8, 1))); // epoch time T0 + 1
    // Client 9 idle for exactly the expiry at epoch time T0 + 1_000: still remembered.
    assertThat(sequenced(small.apply(auto(T0 + 1_000, txn(9, 1)))).notSequenced()).hasSize(1);
    assertThat(small.gauge("sequencer.dedupe.clients")).isEqualTo(2);
    // Epoch time T0 + 2_500: both idle for more than the expiry, forgotten at this epoch's start.
    ApplyResult.Sequenced late = sequenced(small.apply(auto(T0 + 2_500, txn(9, 1))));
    assertThat(late.notSequenced()).as("documented: a forgotten client's retry is new").isEmpty();
    assertThat(small.counter("sequencer.dedupe.clients.forgotten", "reason", "expired"))
        .isEqualTo(2);
    assertThat(small.gauge("sequencer.dedupe.clients")).isEqualTo(1);
    assertThat(replay(small, 1)).extracting(s -> s.txn().clientTxnId()).hasSize(3);
  }

  @Test
  void expiryUsesEpochTimeNotTheProposersClock() {
    Harness small =
        validation.track(
            activated(
                Harness.builder().vshards(4).dedupeLimits(new DedupeLimits(4, 10, 1_000)).build()));
    small.apply(auto(T0, txn(9, 1)));
    // A proposer clock far ahead moves epoch time by at most MAX_EPOCH_MS_STEP per epoch, and a
    // clock far behind not at all: whatever proposerMs says, what counts is epochSystemMs.
    small.apply(auto(T0 - 1_000_000, txn(8, 1)));
    assertThat(sequenced(small.apply(auto(0, txn(9, 1)))).notSequenced()).hasSize(1);
    small.apply(auto(Long.MAX_VALUE, txn(8, 2))); // epoch time: T0 + 2 + 1 h
    assertThat(sequenced(small.apply(auto(0, txn(9, 1)))).notSequenced()).isEmpty();
  }

  @Test
  void pastTheCapTheLeastRecentlySeenClientIsForgotten() {
    Harness small =
        validation.track(
            activated(
                Harness.builder().vshards(4).dedupeLimits(new DedupeLimits(4, 2, 60_000)).build()));
    small.apply(auto(T0, txn(1, 1), txn(2, 1)));
    small.apply(auto(T0 + 1, txn(1, 2))); // client 1 seen last
    small.apply(auto(T0 + 2, txn(3, 1))); // a third client: client 2 goes
    assertThat(small.counter("sequencer.dedupe.clients.forgotten", "reason", "capacity"))
        .isEqualTo(1);
    ApplyResult.Sequenced r = sequenced(small.apply(auto(T0 + 3, txn(1, 1), txn(2, 1))));
    assertThat(r.notSequenced()).containsExactly(NotSequenced.duplicate(0, new TxnId(0, 0)));
  }

  @Test
  void staleAndOutOfRangeBatchesRecordNothing() {
    h.apply(auto(T0));
    assertThat(h.apply(named(0, T0 + 1, txn(9, 1))).kind()).isEqualTo(Kind.STALE);
    assertThat(h.apply(named(Long.MAX_VALUE, T0 + 1, txn(9, 2))).kind())
        .isEqualTo(Kind.OUT_OF_RANGE);
    ApplyResult.Sequenced r = sequenced(h.apply(auto(T0 + 2, txn(9, 1), txn(9, 2))));
    assertThat(r.notSequenced()).isEmpty();
    assertThat(h.gauge("sequencer.dedupe.clients")).isEqualTo(1);
  }

  @Test
  void theDedupeStateSurvivesASnapshotAndAnOlderSnapshotRestoresWithout() throws Exception {
    h.apply(auto(T0, txn(9, 1), txn(9, 2)));
    h.apply(auto(T0 + 1, txn(9, 2)));
    SequencerState state = h.sm.snapshot();
    assertThat(state.clients()).hasSize(1);
    assertThat(state.epochHoles()).hasSize(1);

    Harness restored = validation.track(Harness.builder().vshards(4).build());
    restored.sm.restore(StateCodec.decode(StateCodec.encode(state)));
    assertThat(restored.sm.snapshot()).isEqualTo(state);
    restored.skipIndexes((int) h.nextIndex() - 1);
    h.log.entries().forEach(restored.log::put);
    ApplyResult.Sequenced again = sequenced(restored.apply(auto(T0 + 2, txn(9, 1))));
    assertThat(again.notSequenced()).containsExactly(NotSequenced.duplicate(0, tid(0, 0)));
    assertThat(replay(restored, 1))
        .as("the restored replica replays the epoch with a hole as the live path delivered it")
        .extracting(SequencedTxn::id)
        .containsExactly(tid(0, 0), tid(0, 1));

    // A version-1 snapshot, written before de-duplication: it has no such state.
    SequencerState v1 =
        new SequencerState(
            state.vshardCount(),
            state.lastAppliedIndex(),
            state.nextEpoch(),
            state.lastAppliedEpoch(),
            state.lastEpochSystemMs(),
            state.gaps(),
            state.droppedThroughEpoch(),
            state.epochIndex(),
            state.completions(),
            state.completionsEvicted());
    Harness old = validation.track(Harness.builder().vshards(4).build());
    old.sm.restore(v1);
    assertThat(old.sm.rulesVersion()).isEqualTo(1);
    old.skipIndexes((int) h.nextIndex() - 1);
    assertThat(sequenced(old.apply(auto(T0 + 2, txn(9, 1)))).notSequenced())
        .as("apply rules 1 until the log records 2: retries are sequenced again")
        .isEmpty();
  }

  /**
   * The reason de-duplication starts at a log entry: replicas of a cluster upgraded from a version
   * without it restart from their own version-1 snapshots, taken at different indexes. Had each
   * begun its history where its snapshot ended, a retry of a txn sequenced between the two would be
   * a duplicate on one and new on the other. Starting at the cluster-init entry that records apply
   * rules 2, every replica decides alike.
   */
  @Test
  void deduplicationStartsWhereTheLogTurnsItOnWhicheverSnapshotAReplicaStartedFrom() {
    Harness whole = validation.track(Harness.builder().vshards(4).build());
    whole.apply(auto(T0, txn(9, 1))); // index 1, epoch 0
    assertThat(sequenced(whole.apply(auto(T0 + 1, txn(9, 1)))).notSequenced())
        .as("before the log turns it on: the retry is sequenced again, as old nodes did")
        .isEmpty(); // index 2, epoch 1
    SequencerState early = v1(whole.sm.snapshot());
    whole.apply(auto(T0 + 2, txn(9, 2))); // index 3, epoch 2
    SequencerState late = v1(whole.sm.snapshot());
    whole.apply(new ClusterInit(4, "test")); // index 4: apply rules 2 from here on
    ApplyResult.Sequenced after = sequenced(whole.apply(auto(T0 + 3, txn(9, 2), txn(9, 3))));
    assertThat(after.notSequenced())
        .as("9/2 was sequenced before the log turned de-duplication on: not remembered")
        .isEmpty(); // index 5, epoch 3
    assertThat(sequenced(whole.apply(auto(T0 + 4, txn(9, 3)))).notSequenced())
        .containsExactly(NotSequenced.duplicate(0, tid(3, 1))); // index 6, epoch 4

    for (SequencerState start : List.of(early, late)) {
      Harness r = validation.track(Harness.builder().vshards(4).build());
      r.sm.restore(start);
      whole
          .log
          .entries()
          .tailMap(start.lastAppliedIndex(), false)
          .forEach((index, bytes) -> r.sm.apply(index, bytes));
      assertThat(r.sm.snapshot())
          .as("a replica restarted from the snapshot at index %d", start.lastAppliedIndex())
          .isEqualTo(whole.sm.snapshot());
    }
  }

  /** {@code s} as a version-1 snapshot holds it: no apply rules, no de-duplication state. */
  private static SequencerState v1(SequencerState s) {
    return new SequencerState(
        s.vshardCount(),
        s.lastAppliedIndex(),
        s.nextEpoch(),
        s.lastAppliedEpoch(),
        s.lastEpochSystemMs(),
        s.gaps(),
        s.droppedThroughEpoch(),
        s.epochIndex(),
        s.completions(),
        s.completionsEvicted());
  }

  private static TxnId tid(long epoch, int position) {
    return new TxnId(epoch, position);
  }
}
