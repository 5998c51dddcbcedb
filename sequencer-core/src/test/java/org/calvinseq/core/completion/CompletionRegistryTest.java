package org.calvinseq.core.completion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.calvinseq.core.testing.Fixtures.ack;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.calvinseq.core.model.CompletionAck;
import org.calvinseq.core.model.TxnId;
import org.junit.jupiter.api.Test;

/** Completion tracking: a txn is done when every participant acked, and memory stays bounded. */
class CompletionRegistryTest {
  private static final TxnId T = new TxnId(3, 1);

  private final List<Runnable> notifications = new ArrayList<>();
  private final CompletionRegistry reg = new CompletionRegistry(1_000, 100, Runnable::run);

  private static List<CompletionAck> acks(CompletionAck... a) {
    return List.of(a);
  }

  @Test
  void aTxnWithTwoParticipantsCompletesAfterBothAckedNotAfterOne() {
    CompletableFuture<TxnId> done = reg.await(T);

    assertThat(reg.apply(acks(ack(3, 1, 7, 2)), 10)).isZero();
    assertThat(done).isNotDone();
    assertThat(reg.isCompleted(T)).isFalse();
    assertThat(reg.pendingCount()).isEqualTo(1);

    assertThat(reg.apply(acks(ack(3, 1, 4, 2)), 11)).isEqualTo(1);
    assertThat(done).isCompletedWithValue(T);
    assertThat(reg.isCompleted(T)).isTrue();
    assertThat(reg.acked(T)).containsExactly(4, 7);
    assertThat(reg.pendingCount()).isZero();
  }

  @Test
  void duplicateAcksDoNotCount() {
    CompletableFuture<TxnId> done = reg.await(T);

    reg.apply(acks(ack(3, 1, 7, 2), ack(3, 1, 7, 2)), 10);
    reg.apply(acks(ack(3, 1, 7, 2)), 11);

    assertThat(done).isNotDone();
    assertThat(reg.acked(T)).containsExactly(7);
    assertThat(reg.pendingCount()).isEqualTo(1);
    assertThat(reg.apply(acks(ack(3, 1, 8, 2), ack(3, 1, 9, 2)), 12))
        .as("one completion, however many acks follow")
        .isEqualTo(1);
    assertThat(reg.acked(T)).containsExactly(7, 8);
  }

  @Test
  void awaitingACompletedTxnCompletesAtOnceAndOtherTxnsAreUnaffected() {
    reg.apply(acks(ack(3, 1, 7, 1)), 10);

    assertThat(reg.await(T)).isCompletedWithValue(T);
    assertThat(reg.await(new TxnId(3, 2))).isNotDone();
  }

  @Test
  void waitersAreCompletedThroughTheNotifier() {
    CompletionRegistry r = new CompletionRegistry(1_000, 100, notifications::add);
    CompletableFuture<TxnId> done = r.await(T);

    r.apply(acks(ack(3, 1, 7, 1)), 10);

    assertThat(done).isNotDone();
    assertThat(notifications).hasSize(1);
    notifications.get(0).run();
    assertThat(done).isCompletedWithValue(T);
  }

  @Test
  void aForgottenWaiterIsNotCompleted() {
    CompletableFuture<TxnId> f = reg.await(T);
    reg.forget(T, f);

    reg.apply(acks(ack(3, 1, 7, 1)), 10);

    assertThat(f).isNotDone();
  }

  @Test
  void entriesAreEvictedOnceOlderThanTheRetentionInEpochTime() {
    reg.apply(acks(ack(1, 0, 7, 2)), 100); // pending: abandoned later
    reg.apply(acks(ack(2, 0, 7, 1)), 150); // completed

    reg.apply(acks(ack(9, 0, 7, 2)), 1_100);
    assertThat(reg.trackedCount()).as("exactly at the retention: kept").isEqualTo(3);

    reg.apply(acks(ack(9, 0, 8, 2)), 1_101);
    assertThat(reg.trackedCount()).isEqualTo(2);
    assertThat(reg.acked(new TxnId(1, 0))).isEmpty();
    assertThat(reg.pendingCount()).as("the abandoned one no longer pending").isZero();

    reg.apply(acks(), 1_151);
    assertThat(reg.trackedCount()).isEqualTo(1);
    assertThat(reg.isCompleted(new TxnId(2, 0))).isFalse();
    assertThat(reg.isCompleted(new TxnId(9, 0))).isTrue();
  }

  @Test
  void entriesAreEvictedOldestFirstBeyondMaxEntries() {
    CompletionRegistry small = new CompletionRegistry(1_000_000, 2, Runnable::run);

    small.apply(acks(ack(1, 0, 7, 2), ack(2, 0, 7, 2), ack(3, 0, 7, 2)), 0);

    assertThat(small.trackedCount()).isEqualTo(2);
    assertThat(small.acked(new TxnId(1, 0))).isEmpty();
    assertThat(small.acked(new TxnId(2, 0))).containsExactly(7);
    assertThat(small.acked(new TxnId(3, 0))).containsExactly(7);
    assertThat(small.pendingCount()).isEqualTo(2);
  }

  @Test
  void exportAndLoadRoundTripIncludingWaitersOfCompletedTxns() {
    reg.apply(acks(ack(1, 0, 7, 2)), 10);
    reg.apply(acks(ack(2, 0, 7, 1)), 20);
    reg.apply(acks(ack(2, 1, 3, 3), ack(2, 1, 1, 3)), 30);
    List<CompletionRegistry.State> exported = reg.export();

    CompletionRegistry restored = new CompletionRegistry(1_000, 100, Runnable::run);
    CompletableFuture<TxnId> waiting = restored.await(new TxnId(2, 0));
    restored.load(exported);

    assertThat(restored.export()).isEqualTo(exported);
    assertThat(restored.pendingCount()).isEqualTo(reg.pendingCount()).isEqualTo(2);
    assertThat(restored.trackedCount()).isEqualTo(3);
    assertThat(restored.acked(new TxnId(2, 1))).containsExactly(1, 3);
    assertThat(waiting).isCompletedWithValue(new TxnId(2, 0));

    // Both go on identically: the same acks complete the same txns.
    List<CompletionAck> more = acks(ack(1, 0, 8, 2), ack(2, 1, 2, 3));
    assertThat(restored.apply(more, 40)).isEqualTo(reg.apply(more, 40)).isEqualTo(2);
    assertThat(restored.export()).isEqualTo(reg.export());
  }

  @Test
  void aQueryTellsCompletedPendingNotAckedAndEvictedApart() {
    reg.apply(acks(ack(4, 0, 7, 1)), 100); // completed, evicted later
    reg.apply(acks(ack(2, 0, 7, 2)), 150); // partly acked, evicted later
    assertThat(reg.query(new TxnId(4, 0)).outcome()).isEqualTo(CompletionOutcome.COMPLETED);
    assertThat(reg.query(new TxnId(2, 0)).outcome()).isEqualTo(CompletionOutcome.PENDING);
    assertThat(reg.query(new TxnId(2, 0)).acked()).containsExactly(7);
    assertThat(reg.query(new TxnId(3, 0)).outcome()).isEqualTo(CompletionOutcome.NOT_ACKED);
    assertThat(reg.watermark()).isEqualTo(CompletionRegistry.Watermark.NONE);

    reg.apply(acks(ack(9, 0, 7, 2)), 1_151); // both older ones expire
    assertThat(reg.watermark()).isEqualTo(new CompletionRegistry.Watermark(4, 1_151));
    var completedThenEvicted = reg.query(new TxnId(4, 0));
    assertThat(completedThenEvicted.outcome()).isEqualTo(CompletionOutcome.EVICTED);
    assertThat(completedThenEvicted.completed()).isFalse();
    assertThat(completedThenEvicted.evictedThroughEpoch()).isEqualTo(4);
    assertThat(completedThenEvicted.evictedAtMs()).isEqualTo(1_151);
    assertThat(reg.query(new TxnId(2, 0)).outcome())
        .as("partly acked, then expired: evicted too")
        .isEqualTo(CompletionOutcome.EVICTED);
    assertThat(reg.query(new TxnId(3, 5)).outcome())
        .as("at or below the watermark, whatever happened to it is no longer known")
        .isEqualTo(CompletionOutcome.EVICTED);
    assertThat(reg.query(new TxnId(5, 0)).outcome())
        .as("above the watermark and untracked: certainly never acked")
        .isEqualTo(CompletionOutcome.NOT_ACKED);
    assertThat(reg.query(new TxnId(9, 0)).outcome()).isEqualTo(CompletionOutcome.PENDING);

    reg.apply(acks(ack(1, 0, 7, 1)), 1_152); // a late first ack below the watermark: tracked again
    assertThat(reg.query(new TxnId(1, 0)).outcome()).isEqualTo(CompletionOutcome.COMPLETED);
    assertThat(reg.watermark().throughEpoch()).as("never lowered").isEqualTo(4);
  }

  @Test
  void theWatermarkIsRaisedByMaxEntriesEvictionAndSurvivesExportAndLoad() {
    CompletionRegistry small = new CompletionRegistry(1_000_000, 1, Runnable::run);
    small.apply(acks(ack(6, 0, 7, 1), ack(5, 0, 7, 1)), 40);
    assertThat(small.watermark()).isEqualTo(new CompletionRegistry.Watermark(6, 40));
    assertThat(small.query(new TxnId(6, 0)).outcome()).isEqualTo(CompletionOutcome.EVICTED);
    assertThat(small.query(new TxnId(5, 0)).outcome()).isEqualTo(CompletionOutcome.COMPLETED);

    CompletionRegistry restored = new CompletionRegistry(1_000_000, 1, Runnable::run);
    restored.load(small.export(), small.watermark());
    assertThat(restored.watermark()).isEqualTo(small.watermark());
    assertThat(restored.query(new TxnId(6, 0)).outcome()).isEqualTo(CompletionOutcome.EVICTED);
    restored.load(small.export());
    assertThat(restored.watermark())
        .as("a snapshot without a watermark")
        .isEqualTo(CompletionRegistry.Watermark.NONE);
  }

  @Test
  void exportedStatesAreCopies() {
    reg.apply(acks(ack(1, 0, 7, 2)), 10);
    CompletionRegistry.State s = reg.export().get(0);
    s.acked()[0] = 99;
    assertThat(reg.acked(new TxnId(1, 0))).containsExactly(7);
  }
}
