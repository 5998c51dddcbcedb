package org.calvinseq.core.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.calvinseq.core.apply.ApplyResult;
import org.calvinseq.core.apply.EpochStateMachine;
import org.calvinseq.core.dedupe.DedupeLimits;
import org.calvinseq.core.metrics.SequencerMetrics;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.queue.VShardConsumer;
import org.calvinseq.core.routing.CollectionHashRouter;
import org.calvinseq.core.testing.Invariants;
import org.calvinseq.core.testing.LogGenerator;
import org.calvinseq.core.testing.MapLog;
import org.calvinseq.core.testing.ReferenceModel;

/**
 * DESIGN section 5: replay yields exactly what the live path delivered. A generated log (stale, gap
 * and named epochs, acks, garbage, unused indexes, retried txns) is applied with consumers whose
 * queues never fill, so everything they get arrives live; a replayer over the same log must then
 * give each vshard the same list (skipping the retries' empty positions as live delivery did), and
 * both must match the {@link ReferenceModel}.
 */
class ReplayEqualsLivePropertyTest {

  /** A replay source that fails the property if the live path ever needed it. */
  private static final ReplaySource NO_REPLAY =
      new ReplaySource() {
        @Override
        public long currentCommittedEpoch() {
          return -1; // nothing to catch up: the consumers subscribe before the first entry
        }

        @Override
        public Iterator<SequencedTxn> replay(int vshard, long fromEpoch, long toEpoch) {
          throw new AssertionError(
              "live delivery needed replay of vshard " + vshard + " " + fromEpoch + ".." + toEpoch);
        }
      };

  @Property(tries = 60)
  void replayOfEveryVShardEqualsWhatItsConsumerGotLive(
      @ForAll long seed,
      @ForAll @IntRange(min = 1, max = 120) int entries,
      @ForAll @IntRange(min = 1, max = 12) int vshards,
      @ForAll boolean tinyWindows) {
    DedupeLimits limits = tinyWindows ? new DedupeLimits(2, 3, 40) : DedupeLimits.PROTOCOL;
    CollectionHashRouter router = new CollectionHashRouter(vshards);
    LogGenerator gen = new LogGenerator(seed, router, limits);
    EpochStateMachine sm =
        EpochStateMachine.builder()
            .router(router)
            .queueCapacity(1 << 14)
            .dedupeLimits(limits)
            .build();
    SplittableRandom pick = new SplittableRandom(seed ^ 0x5eed);
    Map<Integer, VShardConsumer> consumers = new LinkedHashMap<>();
    Map<Integer, List<SequencedTxn>> live = new LinkedHashMap<>();
    for (int v = 0; v < vshards; v++) {
      if (pick.nextInt(3) != 0) {
        consumers.put(
            v, new VShardConsumer(sm.subscriptions(), v, -1, NO_REPLAY, SequencerMetrics.noop()));
        live.put(v, new ArrayList<>());
      }
    }
    consumers.forEach((v, c) -> assertThat(c.poll()).isNull()); // the join handshake

    MapLog log = new MapLog();
    for (LogGenerator.Entry e : gen.generate(entries)) {
      log.put(e.index(), e.bytes());
      ApplyResult r = sm.apply(e.index(), e.bytes());
      assertThat(r.kind()).as("entry at index %d", e.index()).isEqualTo(e.expected());
      if (r instanceof ApplyResult.Sequenced s) {
        assertThat(s.notSequenced())
            .as("retries at index %d", e.index())
            .isEqualTo(e.notSequenced());
      }
      if (pick.nextInt(4) == 0) {
        poll(consumers, live);
      }
    }
    poll(consumers, live);
    Invariants.check(sm);

    ReferenceModel model = gen.model();
    assertThat(sm.lastAppliedEpoch()).isEqualTo(model.lastAppliedEpoch());
    Replayer replayer = sm.replayer(log);
    for (int v = 0; v < vshards; v++) {
      List<SequencedTxn> replayed = new ArrayList<>();
      replayer.replay(v, 0, Math.max(0, sm.lastAppliedEpoch())).forEachRemaining(replayed::add);
      assertThat(replayed).as("replay of vshard %d", v).isEqualTo(model.stream(v));
      if (live.containsKey(v)) {
        assertThat(live.get(v)).as("live delivery to vshard %d", v).isEqualTo(replayed);
        assertThat(consumers.get(v).isBehind()).isFalse();
      }
    }
  }

  /** Any sub-range of a replay is the matching slice of the whole. */
  @Property(tries = 40)
  void replayOfASubRangeIsTheSliceOfTheWhole(
      @ForAll long seed,
      @ForAll @IntRange(min = 1, max = 80) int entries,
      @ForAll @IntRange(min = 0, max = 60) int from,
      @ForAll @IntRange(min = 0, max = 60) int length) {
    CollectionHashRouter router = new CollectionHashRouter(4);
    LogGenerator gen = new LogGenerator(seed, router);
    EpochStateMachine sm = EpochStateMachine.builder().router(router).build();
    MapLog log = new MapLog();
    for (LogGenerator.Entry e : gen.generate(entries)) {
      log.put(e.index(), e.bytes());
      sm.apply(e.index(), e.bytes());
    }
    long to = from + length;
    for (int v = 0; v < 4; v++) {
      List<SequencedTxn> got = new ArrayList<>();
      sm.replayer(log).replay(v, from, to).forEachRemaining(got::add);
      assertThat(got).isEqualTo(gen.model().stream(v, from, to));
    }
  }

  private static void poll(
      Map<Integer, VShardConsumer> consumers, Map<Integer, List<SequencedTxn>> live) {
    consumers.forEach((v, c) -> c.drain(live.get(v)::add, Integer.MAX_VALUE));
  }
}
