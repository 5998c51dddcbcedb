package org.calvinseq.core.apply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.calvinseq.core.testing.Fixtures.auto;
import static org.calvinseq.core.testing.Fixtures.named;
import static org.calvinseq.core.testing.Fixtures.writing;
import static org.calvinseq.core.testing.Results.acks;
import static org.calvinseq.core.testing.Results.decodeError;
import static org.calvinseq.core.testing.Results.sequenced;
import static org.calvinseq.core.testing.Results.stale;

import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.calvinseq.core.apply.ApplyResult.Kind;
import org.calvinseq.core.codec.EntryEncoder;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.queue.VShardQueue;
import org.calvinseq.core.testing.Fixtures;
import org.calvinseq.core.testing.Harness;
import org.calvinseq.core.testing.StateMachineValidation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The apply path, one rule at a time: the behaviours the reference sequencer (seed 004) tests, plus
 * the ones where we differ on purpose (a lower epoch is stale and never moves the epoch back).
 */
class EpochStateMachineTest {
  @RegisterExtension final StateMachineValidation validation = new StateMachineValidation();

  private final Harness h = validation.track(Harness.builder().vshards(16).build());
  private final String[] cols = Fixtures.twoCollectionsOnDistinctVShards(h.router);
  private final int va = h.router.vshardOfCollection(cols[0]);
  private final int vb = h.router.vshardOfCollection(cols[1]);

  /** A queue subscribed and resumed while nothing is applying: live from the next batch on. */
  private VShardQueue liveQueue(int vshard) {
    VShardQueue q = h.sm.subscriptions().subscribe(vshard);
    q.requestResume(h.sm.currentCommittedEpoch());
    return q;
  }

  private int otherVShard() {
    for (int v = 0; ; v++) {
      if (v != va && v != vb) {
        return v;
      }
    }
  }

  // ---- the reference sequencer's behaviours ----

  @Test
  void applyOnFreshStateMachineAdvancesLastAppliedEpochToZero() {
    assertThat(h.sm.lastAppliedEpoch()).isEqualTo(-1);
    assertThat(h.sm.currentCommittedEpoch()).isEqualTo(-1);

    ApplyResult.Sequenced r =
        sequenced(h.apply(auto(1_700_000_000_000L, writing(cols[0], cols[1]))));

    assertThat(r.kind()).isEqualTo(Kind.APPLIED);
    assertThat(r.epoch()).isZero();
    assertThat(r.sequenced()).isTrue();
    assertThat(h.sm.lastAppliedEpoch()).isZero();
    assertThat(h.sm.lastAppliedIndex()).isEqualTo(1);
    assertThat(h.counter("sequencer.epochs.applied")).isEqualTo(1);
    assertThat(h.counter("sequencer.txns.sequenced")).isEqualTo(1);
    assertThat(h.gauge("sequencer.last.applied.epoch")).isZero();
  }

  @Test
  void gapIsCountedWithItsSizeRecordedAndTheBatchApplied() {
    VShardQueue qa = liveQueue(va);
    h.apply(named(0, 10, writing(cols[0])));

    Txn afterGap = writing(cols[0], cols[1]);
    ApplyResult.Sequenced r = sequenced(h.apply(named(2, 20, afterGap)));

    assertThat(r.kind()).isEqualTo(Kind.GAP);
    assertThat(r.epoch()).isEqualTo(2);
    assertThat(r.expectedEpoch()).isEqualTo(1);
    assertThat(h.counter("sequencer.epoch.gaps")).isEqualTo(1);
    assertThat(h.counter("sequencer.epoch.gap.epochs")).isEqualTo(1);
    assertThat(h.sm.gaps()).containsExactly(new GapRange(1, 1));
    assertThat(h.sm.lastAppliedEpoch()).isEqualTo(2);
    assertThat(h.sm.nextEpoch()).isEqualTo(3);
    assertThat(h.counter("sequencer.epochs.applied")).isEqualTo(2);
    assertThat(qa.poll().epoch()).isZero();
    assertThat(qa.poll()).isEqualTo(new SequencedTxn(afterGap, 2, 0, 20));

    // A wider gap counts every skipped epoch, and an auto batch continues after it.
    h.apply(named(10, 30));
    assertThat(h.counter("sequencer.epoch.gaps")).isEqualTo(2);
    assertThat(h.counter("sequencer.epoch.gap.epochs")).isEqualTo(1 + 7);
    assertThat(h.sm.gaps()).containsExactly(new GapRange(1, 1), new GapRange(3, 9));
    assertThat(sequenced(h.apply(auto(40))).epoch()).isEqualTo(11);
  }

  @Test
  void fanOutReachesOnlyParticipatingVShards() {
    VShardQueue qa = liveQueue(va);
    VShardQueue qb = liveQueue(vb);
    VShardQueue qc = liveQueue(otherVShard());
    Txn t = writing(cols[0], cols[1]);

    h.apply(auto(1_700_000_000_000L, t));

    SequencedTxn expected = new SequencedTxn(t, 0, 0, 1_700_000_000_000L);
    assertThat(qa.poll()).isEqualTo(expected);
    assertThat(qb.poll()).isEqualTo(expected);
    assertThat(qc.poll()).as("a vshard the txn does not touch").isNull();
    assertThat(qc.size()).isZero();
    assertThat(h.counter("sequencer.deliveries", "path", "live")).isEqualTo(2);
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.SECONDS)
  void fullQueueDropsWithoutBlockingCountsAndPutsOnlyThatVShardBehind() {
    Harness small = validation.track(Harness.builder().vshards(16).queueCapacity(2).build());
    VShardQueue qa = small.sm.subscriptions().subscribe(va);
    VShardQueue qb = small.sm.subscriptions().subscribe(vb);
    qa.requestResume(-1);
    qb.requestResume(-1);
    int cap = qa.capacity();
    assertThat(cap).as("the bound, rounded up to a power of two").isGreaterThanOrEqualTo(2);
    assertThat(Integer.bitCount(cap)).isEqualTo(1);

    for (int i = 0; i <= cap; i++) {
      small.apply(auto(i, writing(cols[0], cols[1])));
      assertThat(qb.poll()).as("vshard b is consumed and stays live").isNotNull();
    }

    assertThat(qa.size()).isEqualTo(cap);
    assertThat(qa.isBehind()).isTrue();
    assertThat(qb.isBehind()).isFalse();
    assertThat(small.counter("sequencer.drops", "reason", "full")).isEqualTo(1);
    assertThat(small.counter("sequencer.deliveries", "path", "live")).isEqualTo(cap + cap + 1);
    assertThat(small.gauge("sequencer.vshards.behind")).isEqualTo(1);
    assertThat(small.gauge("sequencer.queue.depth.max")).isEqualTo(cap);

    // Behind: later txns of vshard a are not offered (order is kept), even with room again.
    assertThat(qa.poll().epoch()).isZero();
    small.apply(auto(cap + 1, writing(cols[0], cols[1])));
    assertThat(small.counter("sequencer.drops", "reason", "behind")).isEqualTo(1);
    assertThat(small.counter("sequencer.drops", "reason", "full")).isEqualTo(1);
    for (int e = 1; e < cap; e++) {
      assertThat(qa.poll().epoch()).isEqualTo(e);
    }
    assertThat(qa.poll()).isNull();
    assertThat(qb.poll().epoch()).isEqualTo(cap + 1);
  }

  @Test
  void nextEpochIsZeroFreshAndOneAfterOneApply() {
    assertThat(h.sm.nextEpoch()).isZero();
    h.apply(auto(1, writing(cols[0])));
    assertThat(h.sm.nextEpoch()).isEqualTo(1);
  }

  // ---- where we differ from the reference on purpose ----

  @Test
  void staleBatchNeverMovesTheEpochBackNorIsDelivered() {
    VShardQueue qa = liveQueue(va);
    for (int i = 0; i < 3; i++) {
      h.apply(auto(100 + i, writing(cols[0])));
    }
    while (qa.poll() != null) {
      // drain epochs 0..2
    }
    Txn stale = new Txn(null, 9, List.of(), List.of(Fixtures.key(cols[0], "stale")), new byte[0]);

    ApplyResult.Stale r = stale(h.apply(named(1, 500, stale)));

    assertThat(r.kind()).isEqualTo(Kind.STALE);
    assertThat(r.sequenced()).isFalse();
    assertThat(r.epoch()).isEqualTo(1);
    assertThat(r.expectedEpoch()).isEqualTo(3);
    assertThat(r.txnCount()).isEqualTo(1);
    assertThat(h.sm.lastAppliedEpoch()).isEqualTo(2);
    assertThat(h.sm.nextEpoch()).isEqualTo(3);
    assertThat(h.sm.lastEpochSystemMs()).isEqualTo(102);
    assertThat(h.sm.lastAppliedIndex()).isEqualTo(4);
    assertThat(h.counter("sequencer.epochs.stale")).isEqualTo(1);
    assertThat(h.counter("sequencer.epochs.applied")).isEqualTo(3);
    assertThat(qa.poll()).isNull();
    assertThat(h.sm.gaps()).isEmpty();

    assertThat(h.apply(named(0, 600, stale)).kind()).isEqualTo(Kind.STALE);
    assertThat(sequenced(h.apply(auto(700, writing(cols[0])))).epoch()).isEqualTo(3);
    List<SequencedTxn> replayed = drain(h.replayer().replay(va, 0, 3));
    assertThat(replayed).extracting(SequencedTxn::txn).doesNotContain(stale);
    assertThat(replayed).extracting(SequencedTxn::epoch).containsExactly(0L, 1L, 2L, 3L);
  }

  @Test
  void indexAtOrBelowLastAppliedIsANoOp() {
    VShardQueue qa = liveQueue(va);
    byte[] first = EntryEncoder.encode(auto(1, writing(cols[0])));
    assertThat(h.sm.apply(5, first).kind()).isEqualTo(Kind.APPLIED);
    SequencerState before = h.sm.snapshot();
    byte[] other = EntryEncoder.encode(auto(2, writing(cols[0])));

    assertThat(h.sm.apply(5, other).kind()).isEqualTo(Kind.ALREADY_APPLIED);
    assertThat(h.sm.apply(3, other).kind()).isEqualTo(Kind.ALREADY_APPLIED);
    assertThat(h.sm.apply(4, new byte[] {1, 2, 3}).kind()).isEqualTo(Kind.ALREADY_APPLIED);

    assertThat(h.sm.snapshot()).isEqualTo(before);
    assertThat(h.counter("sequencer.epochs.applied")).isEqualTo(1);
    assertThat(h.counter("sequencer.decode.errors")).isZero();
    assertThat(qa.poll()).isNotNull();
    assertThat(qa.poll()).isNull();
    assertThat(sequenced(h.sm.apply(6, other)).epoch()).isEqualTo(1);
  }

  // ---- the other rules of DESIGN section 4 ----

  @Test
  void epochTimeIsTheProposerClockButAlwaysRises() {
    assertThat(sequenced(h.apply(auto(1000))).epochSystemMs()).isEqualTo(1000);
    assertThat(sequenced(h.apply(auto(500))).epochSystemMs()).as("clock went back").isEqualTo(1001);
    assertThat(sequenced(h.apply(auto(1001))).epochSystemMs())
        .as("clock stood still")
        .isEqualTo(1002);
    assertThat(sequenced(h.apply(auto(5000))).epochSystemMs()).isEqualTo(5000);
    assertThat(sequenced(h.apply(auto(-7))).epochSystemMs()).isEqualTo(5001);
    assertThat(h.sm.lastEpochSystemMs()).isEqualTo(5001);

    Harness fresh = validation.track(Harness.builder().build());
    assertThat(sequenced(fresh.apply(auto(-7))).epochSystemMs())
        .as("first epoch, negative clock")
        .isZero();
  }

  @Test
  void undecodableEntryIsCountedSkippedAndConsumesItsIndex() {
    ApplyResult.DecodeError r = decodeError(h.applyRaw(new byte[] {(byte) 0xc1, 0, 0}));

    assertThat(r.kind()).isEqualTo(Kind.DECODE_ERROR);
    assertThat(r.detail()).isNotBlank();
    assertThat(h.sm.lastAppliedIndex()).isEqualTo(1);
    assertThat(h.sm.lastAppliedEpoch()).isEqualTo(-1);
    assertThat(h.counter("sequencer.decode.errors")).isEqualTo(1);
    assertThat(sequenced(h.apply(auto(1))).epoch()).isZero();
  }

  @Test
  void closedQueueCountsAClosedDropAndPutsTheVShardBehind() {
    VShardQueue qa = liveQueue(va);
    qa.close();

    h.apply(auto(1, writing(cols[0])));

    assertThat(h.counter("sequencer.drops", "reason", "closed")).isEqualTo(1);
    assertThat(qa.isBehind()).isTrue();
    assertThat(qa.poll()).isNull();
  }

  @Test
  void unsubscribedOrUnhostedVShardsAreSkippedSilently() {
    BitSet hosted = new BitSet();
    hosted.set(va);
    Harness partial = validation.track(Harness.builder().vshards(16).hosted(hosted).build());
    VShardQueue qa = partial.sm.subscriptions().subscribe(va);
    qa.requestResume(-1);

    assertThatThrownBy(() -> partial.sm.subscriptions().subscribe(vb))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not hosted");
    partial.apply(auto(1, writing(cols[0], cols[1])));

    assertThat(qa.poll()).isNotNull();
    assertThat(partial.counter("sequencer.drops", "reason", "behind")).isZero();
    assertThat(partial.counter("sequencer.drops", "reason", "full")).isZero();
  }

  @Test
  void ackEntryIsAppliedAndReported() {
    h.apply(auto(1, writing(cols[0], cols[1])));

    ApplyResult.Acks r =
        acks(h.apply(Fixtures.acks(Fixtures.ack(0, 0, va, 2), Fixtures.ack(0, 0, vb, 2))));

    assertThat(r.kind()).isEqualTo(Kind.ACKS);
    assertThat(r.ackCount()).isEqualTo(2);
    assertThat(r.sequenced()).isFalse();
    assertThat(h.sm.completions().isCompleted(new org.calvinseq.core.model.TxnId(0, 0))).isTrue();
    assertThat(h.sm.lastAppliedEpoch()).as("acks take no epoch").isZero();
    assertThat(h.counter("sequencer.acks.applied")).isEqualTo(2);
    assertThat(h.counter("sequencer.completions")).isEqualTo(1);
  }

  @Test
  void restoreRefusesAStateOfAnotherVShardCount() {
    h.apply(auto(1));
    SequencerState s = h.sm.snapshot();
    Harness other = Harness.builder().vshards(32).build();

    assertThatThrownBy(() -> other.sm.restore(s))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("vshardCount=16")
        .hasMessageContaining("vshardCount=32");
  }

  @Test
  void skipIndexOnlyMovesTheIndexForward() {
    h.sm.skipIndex(4);
    assertThat(h.sm.lastAppliedIndex()).isEqualTo(4);
    h.sm.skipIndex(2);
    assertThat(h.sm.lastAppliedIndex()).isEqualTo(4);
    assertThat(h.sm.apply(4, EntryEncoder.encode(auto(1))).kind()).isEqualTo(Kind.ALREADY_APPLIED);
  }

  /** Ratis hands entries over as read-only buffers; direct buffers must work as well. */
  @Test
  void appliesReadOnlyAndDirectBuffers() {
    byte[] bytes = EntryEncoder.encode(auto(1, writing(cols[0])));
    ByteBuffer readOnly = ByteBuffer.wrap(bytes).asReadOnlyBuffer();
    ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length + 3);
    direct.put(new byte[] {9, 9, 9}).put(bytes).flip().position(3);
    ByteBuffer offsetHeap = ByteBuffer.wrap(concat(new byte[] {7, 7}, bytes), 2, bytes.length);

    assertThat(h.sm.apply(1, readOnly).kind()).isEqualTo(Kind.APPLIED);
    assertThat(h.sm.apply(2, direct).kind()).isEqualTo(Kind.APPLIED);
    assertThat(h.sm.apply(2, direct.asReadOnlyBuffer()).kind()).isEqualTo(Kind.ALREADY_APPLIED);
    assertThat(h.sm.apply(3, direct.asReadOnlyBuffer()).kind()).isEqualTo(Kind.APPLIED);
    assertThat(h.sm.apply(4, offsetHeap.slice()).kind()).isEqualTo(Kind.APPLIED);
    assertThat(readOnly.remaining())
        .as("the caller's buffer is not consumed")
        .isEqualTo(bytes.length);
    assertThat(h.sm.lastAppliedEpoch()).isEqualTo(3);
  }

  /** No epoch can follow Long.MAX_VALUE; a batch naming it must not wedge the apply path. */
  @Test
  void batchNamingTheLargestEpochDoesNotBreakLaterApplies() {
    VShardQueue qa = liveQueue(va);
    h.apply(auto(1, writing(cols[0])));

    ApplyResult huge = h.apply(named(Long.MAX_VALUE, 2, writing(cols[0])));
    ApplyResult.Sequenced next = sequenced(h.apply(auto(3, writing(cols[0]))));
    ApplyResult named = h.apply(named(1, 4, writing(cols[0])));

    assertThat(huge.sequenced()).isFalse();
    assertThat(next.kind()).isEqualTo(Kind.APPLIED);
    assertThat(next.epoch()).isEqualTo(1);
    assertThat(named.kind()).isEqualTo(Kind.STALE);
    assertThat(h.sm.lastAppliedEpoch()).isEqualTo(1);
    assertThat(qa.poll().epoch()).isZero();
    assertThat(qa.poll().epoch()).isEqualTo(1);
  }

  @Test
  void gapRangesAreBoundedOldestDropped() {
    EpochStateMachine sm = validation.track(EpochStateMachine.builder().maxGapRanges(2).build());
    long index = 1;
    for (long e = 0; e < 12; e += 2) {
      sm.apply(index++, EntryEncoder.encode(new EpochBatch(e, 0, List.of())));
    }
    assertThat(sm.gaps()).containsExactly(new GapRange(7, 7), new GapRange(9, 9));
  }

  @Test
  void builderFailsFastOnBadSettings() {
    assertThatThrownBy(() -> EpochStateMachine.builder().queueCapacity(0).build())
        .isInstanceOf(IllegalArgumentException.class);
    BitSet tooWide = new BitSet();
    tooWide.set(20);
    assertThatThrownBy(
            () ->
                EpochStateMachine.builder()
                    .router(new org.calvinseq.core.routing.CollectionHashRouter(16))
                    .hosted(tooWide)
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("vshardCount is 16");
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static List<SequencedTxn> drain(java.util.Iterator<SequencedTxn> it) {
    List<SequencedTxn> out = new java.util.ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }
}
