package org.calvinseq.core.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.calvinseq.core.testing.Fixtures.auto;
import static org.calvinseq.core.testing.Fixtures.writing;

import java.util.ArrayList;
import java.util.List;
import org.calvinseq.core.metrics.SequencerCounters;
import org.calvinseq.core.metrics.SequencerMetrics;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.replay.ReplayUnavailableException;
import org.calvinseq.core.testing.Fixtures;
import org.calvinseq.core.testing.Harness;
import org.calvinseq.core.testing.StateMachineValidation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A consumer sees every txn of its vshard exactly once, in order, live or through replay. */
class VShardConsumerTest {
  @RegisterExtension final StateMachineValidation validation = new StateMachineValidation();

  private final Harness h =
      validation.track(Harness.builder().vshards(16).queueCapacity(4).build());
  private final String[] cols = Fixtures.twoCollectionsOnDistinctVShards(h.router);
  private final int va = h.router.vshardOfCollection(cols[0]);
  private final int vb = h.router.vshardOfCollection(cols[1]);
  private int txnNo;

  /** One batch: a txn on vshard a, one on both, one on vshard b only. */
  private void batch() {
    h.apply(auto(1000 + txnNo, numbered(cols[0]), numbered(cols[0], cols[1]), numbered(cols[1])));
  }

  private Txn numbered(String... collections) {
    Txn t = writing(collections);
    return new Txn(null, txnNo++, t.readSet(), t.writeSet(), t.payload());
  }

  private List<SequencedTxn> expected(int vshard) {
    List<SequencedTxn> out = new ArrayList<>();
    h.replayer().replay(vshard, 0, h.sm.currentCommittedEpoch()).forEachRemaining(out::add);
    return out;
  }

  private static List<SequencedTxn> drain(VShardConsumer c) {
    List<SequencedTxn> out = new ArrayList<>();
    c.drain(out::add, Integer.MAX_VALUE);
    return out;
  }

  private double live() {
    return h.counter("sequencer.deliveries", "path", "live");
  }

  private double replayed() {
    return h.counter("sequencer.deliveries", "path", "replay");
  }

  @Test
  void aConsumerThatJoinsBeforeTheFirstBatchIsLiveFromTheStart() {
    VShardConsumer c = h.consumer(va);
    assertThat(c.poll()).isNull();

    batch();
    batch();

    assertThat(drain(c)).isEqualTo(expected(va));
    assertThat(live()).isEqualTo(4);
    assertThat(replayed()).isZero();
    assertThat(c.isBehind()).isFalse();
  }

  /**
   * Subscribing at the current epoch and receiving the next txn is not a drop: the consumer has
   * missed nothing, so its first txn comes live even when it did not poll before it.
   */
  @Test
  void aConsumerSubscribedAtTheCurrentEpochGetsTheNextTxnLiveWithoutPollingFirst() {
    batch(); // epoch 0
    batch(); // epoch 1
    long current = h.sm.currentCommittedEpoch();
    VShardConsumer c =
        new VShardConsumer(h.sm.subscriptions(), va, current, h.replayer(), h.metrics);
    assertThat(c.isBehind()).isFalse();

    batch(); // epoch 2, delivered before the first poll

    assertThat(drain(c))
        .extracting(SequencedTxn::id)
        .containsExactly(new TxnId(current + 1, 0), new TxnId(current + 1, 1));
    assertThat(h.counter("sequencer.drops", "reason", "behind")).isZero();
    assertThat(replayed()).isZero();
    assertThat(live()).isEqualTo(2);

    // The same for a second vshard subscribed later at the then current epoch.
    VShardConsumer b =
        new VShardConsumer(
            h.sm.subscriptions(), vb, h.sm.currentCommittedEpoch(), h.replayer(), h.metrics);
    batch();
    assertThat(drain(b)).hasSize(2);
    assertThat(h.counter("sequencer.drops", "reason", "behind")).isZero();
  }

  /** The typed counters view reads the same values as the Micrometer counters. */
  @Test
  void theCountersViewMatchesTheMeters() {
    VShardConsumer a = h.consumer(va); // starts at -1 on an empty log: live at once
    for (int i = 0; i < 3; i++) {
      batch(); // 2 live deliveries to vshard a per batch; vshard b has no queue
      drain(a);
    }
    a.close();
    batch(); // vshard a's queue is gone: nothing dropped, nothing delivered

    SequencerCounters c = h.sm.metrics().counters();

    assertThat(c.epochsApplied()).isEqualTo(4);
    assertThat(c.txnsSequenced()).isEqualTo(12);
    assertThat(c.deliveredLive()).isEqualTo(6).isEqualTo((long) live());
    assertThat(c.deliveredReplay()).isZero();
    assertThat(c.droppedBehind())
        .isEqualTo((long) h.counter("sequencer.drops", "reason", "behind"))
        .isZero();
    assertThat(c.droppedFull()).isZero();
    assertThat(c.droppedClosed()).isZero();
    assertThat(c.staleEpochs()).isZero();
    assertThat(c.decodeErrors()).isZero();
  }

  /** A consumer that stopped inside the current epoch has missed the rest of it: it replays. */
  @Test
  void aConsumerSubscribedInsideTheCurrentEpochStillReplaysTheRestOfIt() {
    batch(); // epoch 0: positions 0 and 1 touch vshard a
    VShardConsumer mid =
        new VShardConsumer(h.sm.subscriptions(), va, new TxnId(0, 0), h.replayer(), h.metrics);
    assertThat(mid.isBehind()).isTrue();

    batch(); // epoch 1

    assertThat(drain(mid))
        .extracting(SequencedTxn::id)
        .containsExactly(new TxnId(0, 1), new TxnId(1, 0), new TxnId(1, 1));
  }

  @Test
  void aStalledConsumerGetsEverythingOnceInOrderPartLivePartReplayThenIsLiveAgain() {
    VShardConsumer a = h.consumer(va);
    VShardConsumer b = h.consumer(vb);
    assertThat(a.poll()).isNull();
    assertThat(b.poll()).isNull();
    List<SequencedTxn> got = new ArrayList<>();
    batch();
    got.addAll(drain(a));
    assertThat(got).hasSize(2);

    for (int i = 0; i < 10; i++) { // a stalls; b keeps up
      batch();
      drain(b);
    }
    assertThat(h.sm.subscriptions().queue(va).size()).isEqualTo(4);
    assertThat(a.isBehind()).isTrue();
    assertThat(h.counter("sequencer.drops", "reason", "full")).isEqualTo(1);
    assertThat(h.counter("sequencer.drops", "reason", "behind")).isGreaterThan(0);
    double liveBefore = live();

    got.addAll(drain(a));

    assertThat(got).isEqualTo(expected(va));
    assertThat(replayed()).as("what did not fit came from replay").isEqualTo(22 - 2 - 4);
    assertThat(live()).isEqualTo(liveBefore);
    assertThat(a.isBehind()).as("caught up, waiting to rejoin").isFalse();

    batch();
    List<SequencedTxn> after = drain(a);
    assertThat(after).hasSize(2);
    assertThat(live()).as("back on the live path").isEqualTo(liveBefore + 4);
    assertThat(h.sm.subscriptions().queue(va).isBehind()).isFalse();
    got.addAll(after);
    assertThat(got).isEqualTo(expected(va));
    assertThat(drain(b)).hasSize(2);
  }

  /** While it replays, new batches are skipped for it; the resume is refused and it replays on. */
  @Test
  void batchesAppliedDuringReplayAreNotLostOrDoubled() {
    VShardConsumer a = h.consumer(va);
    List<SequencedTxn> got = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      batch();
    }
    for (int i = 0; i < 40; i++) {
      SequencedTxn t = a.poll(); // one at a time, with a batch applied between polls
      if (t != null) {
        got.add(t);
      }
      if (i % 3 == 0) {
        batch();
      }
    }
    got.addAll(drain(a));

    assertThat(got).extracting(SequencedTxn::id).doesNotHaveDuplicates();
    assertThat(got)
        .extracting(SequencedTxn::id)
        .containsExactlyElementsOf(expected(va).stream().map(SequencedTxn::id).toList());
    assertThat(got).isEqualTo(expected(va));
  }

  @Test
  void aConsumerJoiningLateReplaysHistoryFirst() {
    for (int i = 0; i < 5; i++) {
      batch();
    }
    VShardConsumer a = h.consumer(va);

    List<SequencedTxn> got = drain(a);
    batch();
    got.addAll(drain(a));

    assertThat(got).isEqualTo(expected(va));
    assertThat(replayed()).isEqualTo(10);
    assertThat(live()).isEqualTo(2);
  }

  @Test
  void resumingFromAPositionInsideAnEpochGetsExactlyTheRest() {
    batch(); // epoch 0: positions 0 and 1 touch vshard a
    batch(); // epoch 1
    VShardConsumer mid =
        new VShardConsumer(h.sm.subscriptions(), va, new TxnId(0, 0), h.replayer(), h.metrics);

    List<SequencedTxn> got = drain(mid);

    assertThat(got)
        .extracting(SequencedTxn::id)
        .containsExactly(new TxnId(0, 1), new TxnId(1, 0), new TxnId(1, 1));
    mid.close();

    VShardConsumer wholeEpoch =
        new VShardConsumer(h.sm.subscriptions(), va, 0, h.replayer(), SequencerMetrics.noop());
    assertThat(drain(wholeEpoch))
        .extracting(SequencedTxn::id)
        .containsExactly(new TxnId(1, 0), new TxnId(1, 1));
    VShardConsumer nothing =
        new VShardConsumer(
            h.sm.subscriptions(), vb, (TxnId) null, h.replayer(), SequencerMetrics.noop());
    assertThat(drain(nothing)).isEqualTo(expected(vb));
  }

  /** An engine that is ahead of a restarted replica (which re-applies its log) gets no repeats. */
  @Test
  void aConsumerAheadOfTheReplicaSkipsWhatItAlreadyProcessed() {
    batch();
    batch();
    batch();
    VShardConsumer ahead =
        new VShardConsumer(
            h.sm.subscriptions(), va, new TxnId(4, 1), h.replayer(), SequencerMetrics.noop());
    assertThat(drain(ahead)).isEmpty();

    batch(); // epoch 3: still behind the consumer
    batch(); // epoch 4
    batch(); // epoch 5
    List<SequencedTxn> got = drain(ahead);

    assertThat(got).extracting(SequencedTxn::id).containsExactly(new TxnId(5, 0), new TxnId(5, 1));
  }

  @Test
  void aClosedConsumerIsUnsubscribedAndItsVShardSkipped() {
    VShardConsumer a = h.consumer(va);
    assertThat(a.poll()).isNull();
    a.close();

    batch();

    assertThat(h.sm.subscriptions().queue(va)).isNull();
    assertThat(h.counter("sequencer.drops", "reason", "closed")).isZero();
    assertThat(a.poll()).isNull();
  }

  @Test
  void aSecondSubscriptionClosesTheFirstAndTakesOver() {
    VShardConsumer first = h.consumer(va);
    assertThat(first.poll()).isNull();
    batch();
    VShardConsumer second =
        new VShardConsumer(
            h.sm.subscriptions(), va, new TxnId(0, 1), h.replayer(), SequencerMetrics.noop());

    batch();

    assertThat(h.sm.subscriptions().queue(va).isClosed()).isFalse();
    assertThat(drain(second)).extracting(SequencedTxn::epoch).containsExactly(1L, 1L);
    assertThat(drain(first)).extracting(SequencedTxn::epoch).containsExactly(0L, 0L);
  }

  @Test
  void aConsumerThatFellBehindTheRetentionIsToldWhereReplayStarts() {
    Harness short3 =
        validation.track(Harness.builder().vshards(16).queueCapacity(2).epochRetention(3).build());
    VShardConsumer a = short3.consumer(va);
    assertThat(a.poll()).isNull();
    for (int i = 0; i < 8; i++) {
      short3.apply(auto(i, writing(cols[0])));
    }
    List<SequencedTxn> got = new ArrayList<>();
    got.add(a.poll());
    got.add(a.poll());
    got.add(a.poll());
    got.add(a.poll());
    assertThat(got).extracting(SequencedTxn::epoch).containsExactly(0L, 1L, 2L, 3L);

    assertThatThrownBy(a::poll)
        .isInstanceOf(ReplayUnavailableException.class)
        .hasMessageContaining("epoch 3 ")
        .hasMessageContaining("first epoch available for replay is 5")
        .satisfies(
            e -> assertThat(((ReplayUnavailableException) e).firstAvailableEpoch()).isEqualTo(5));
  }
}
