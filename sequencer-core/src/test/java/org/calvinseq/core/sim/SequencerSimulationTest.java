package org.calvinseq.core.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.calvinseq.core.apply.ApplyResult;
import org.calvinseq.core.apply.ApplyResult.Kind;
import org.calvinseq.core.apply.EpochStateMachine;
import org.calvinseq.core.apply.SequencerState;
import org.calvinseq.core.apply.StateCodec;
import org.calvinseq.core.codec.CodecException;
import org.calvinseq.core.metrics.SequencerMetrics;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.queue.VShardConsumer;
import org.calvinseq.core.queue.VShardQueue;
import org.calvinseq.core.replay.ReplaySource;
import org.calvinseq.core.replay.Replayer;
import org.calvinseq.core.routing.CollectionHashRouter;
import org.calvinseq.core.testing.Invariants;
import org.calvinseq.core.testing.LogGenerator;
import org.calvinseq.core.testing.MapLog;
import org.calvinseq.core.testing.ReferenceModel;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * A seeded, deterministic simulation of the sequencing layer, after Kafka's {@code
 * RaftEventSimulationTest}: several replicas apply one growing committed log at their own pace;
 * each hosts some vshards whose consumers (the storage engine's schedulers) poll, stall until their
 * small queues overflow, catch up through their replica's replay, go offline and come back, and
 * whole replicas crash and restart from their latest snapshot (fresh state machine, restore,
 * consumers re-subscribed at the engine's last processed txn, which is often inside an epoch).
 *
 * <p>After every step it checks: every replica's state after applying the first {@code k} entries
 * is the same (so a restored replica equals one that never stopped); a replica's epochs only rise
 * while it runs; queues never hold more than their capacity; every txn a consumer receives is the
 * next one of its vshard's reference stream (so streams are identical across replicas, each txn
 * arrives once, in (epoch, position) order). At the end every replica has applied the whole log and
 * every consumer's stream equals the reference computed from the log by {@link ReferenceModel}.
 *
 * <p>A failure names its seed. To re-run only that seed:
 *
 * <pre>
 * mvn -o -pl sequencer-core test -Dtest=SequencerSimulationTest -Dsim.seed=123
 * </pre>
 *
 * Other knobs: {@code -Dsim.seeds=200} runs more seeds (starting at {@code -Dsim.firstSeed},
 * default 1), {@code -Dsim.steps=2000} makes each run longer.
 */
class SequencerSimulationTest {
  private static final int STEPS = Integer.getInteger("sim.steps", 400);

  /** What the runs exercised, summed over seeds, to show the simulation is not vacuous. */
  private static final Map<String, Long> STATS = new TreeMap<>();

  @TestFactory
  Stream<DynamicTest> seeds() {
    String only = System.getProperty("sim.seed");
    LongStream seeds =
        only != null
            ? LongStream.of(Long.parseLong(only))
            : LongStream.range(0, Integer.getInteger("sim.seeds", 20))
                .map(i -> i + Long.getLong("sim.firstSeed", 1));
    Stream<DynamicTest> runs =
        seeds.mapToObj(seed -> DynamicTest.dynamicTest("seed " + seed, () -> run(seed)));
    if (only != null) {
      return runs;
    }
    return Stream.concat(
        runs, Stream.of(DynamicTest.dynamicTest("the runs covered every event", this::coverage)));
  }

  private static void run(long seed) {
    World w = new World(seed);
    try {
      w.run(STEPS);
    } catch (AssertionError | RuntimeException e) {
      throw new AssertionError(
          "simulation failed for seed "
              + seed
              + " at step "
              + w.step
              + " (re-run only it with -Dsim.seed="
              + seed
              + "): "
              + e.getMessage(),
          e);
    }
    synchronized (STATS) {
      w.stats.forEach((k, v) -> STATS.merge(k, v, Long::sum));
    }
  }

  private void coverage() {
    System.out.println("simulation coverage over all seeds: " + STATS);
    for (String event :
        List.of(
            "replays",
            "restarts",
            "restores",
            "consumer restarts",
            "offline",
            "queue full",
            "mid-epoch resubscribes",
            "stale",
            "gap",
            "acks",
            "decode errors",
            "re-applied")) {
      assertThat(STATS.getOrDefault(event, 0L))
          .as("%s over all seeds: %s", event, STATS)
          .isPositive();
    }
  }

  /** One simulated cluster: the committed log, its reference model and the replicas. */
  private static final class World {
    final SplittableRandom rnd;
    final CollectionHashRouter router;
    final LogGenerator gen;
    final ReferenceModel model;
    final MapLog log = new MapLog();
    final List<Replica> replicas = new ArrayList<>();

    /** The state after applying the first k entries, as the first replica to get there saw it. */
    final List<SequencerState> stateAfter = new ArrayList<>();

    final long retention;
    final int completionMax;
    final long completionMs;
    final Map<String, Long> stats = new TreeMap<>();
    int step;

    World(long seed) {
      rnd = new SplittableRandom(seed);
      router = new CollectionHashRouter(2 + rnd.nextInt(7));
      gen = new LogGenerator(rnd.nextLong(), router);
      model = gen.model();
      retention = 1_000_000; // replay must always be possible: consumers may be far behind
      completionMax = 1 + rnd.nextInt(20);
      completionMs = 1 + rnd.nextInt(200);
      stateAfter.add(null); // index 0: nothing applied, checked separately
      int n = 3 + rnd.nextInt(2);
      for (int i = 0; i < n; i++) {
        replicas.add(new Replica(this, i));
      }
    }

    void count(String event) {
      stats.merge(event, 1L, Long::sum);
    }

    EpochStateMachine newMachine(BitSet hosted, int queueCapacity) {
      return EpochStateMachine.builder()
          .router(router)
          .hosted(hosted)
          .queueCapacity(queueCapacity)
          .epochRetention(retention)
          .completionMaxEntries(completionMax)
          .completionRetentionMs(completionMs)
          .maxGapRanges(4)
          .build();
    }

    void run(int steps) {
      int maxEntries = steps / 2;
      for (step = 0; step < steps; step++) {
        Replica r = replicas.get(rnd.nextInt(replicas.size()));
        int roll = rnd.nextInt(100);
        if (roll < 25 && gen.entries().size() < maxEntries) {
          LogGenerator.Entry e = gen.next();
          log.put(e.index(), e.bytes());
        } else if (roll < 50) {
          r.applySome(1 + rnd.nextInt(3));
        } else if (roll < 80) {
          r.randomEngine().poll(1 + rnd.nextInt(6));
        } else if (roll < 85) {
          r.randomEngine().stallFor(5 + rnd.nextInt(40));
        } else if (roll < 89) {
          r.takeSnapshot();
        } else if (roll < 91) {
          r.restart();
        } else if (roll < 95) {
          r.randomEngine().restartConsumer();
        } else if (roll < 97) {
          r.randomEngine().goOffline(3 + rnd.nextInt(30));
        } else if (roll < 99) {
          r.installSnapshotFrom(replicas.get(rnd.nextInt(replicas.size())));
        }
        for (Replica each : replicas) {
          each.wakeEngines();
        }
        checkInvariants();
      }
      finish();
    }

    /** Everything must converge: all entries applied, every consumer at the reference. */
    void finish() {
      for (Replica r : replicas) {
        for (Engine e : r.engines.values()) {
          e.stalledUntil = -1;
          if (e.consumer == null) {
            e.offlineUntil = -1;
            e.connect();
          }
        }
        r.applySome(Integer.MAX_VALUE);
      }
      for (int round = 0; round < 3; round++) {
        for (Replica r : replicas) {
          for (Engine e : r.engines.values()) {
            e.poll(Integer.MAX_VALUE);
          }
        }
        checkInvariants();
      }
      for (Replica r : replicas) {
        assertThat(r.sm.snapshot())
            .as("replica %d's final state", r.id)
            .isEqualTo(stateAfter.get(gen.entries().size()));
        for (Engine e : r.engines.values()) {
          List<SequencedTxn> ref = model.stream(e.vshard);
          VShardQueue q = r.sm.subscriptions().queue(e.vshard);
          assertThat(e.processed.size())
              .as(
                  "replica %d vshard %d: got %d of %d (last %s, next %s; queue behind=%s"
                      + " resumePending=%s size=%d; consumer behind=%s at %d.%d; applied epoch %d)",
                  r.id,
                  e.vshard,
                  e.processed.size(),
                  ref.size(),
                  e.processed.isEmpty() ? "-" : e.processed.get(e.processed.size() - 1).id(),
                  e.processed.size() < ref.size() ? ref.get(e.processed.size()).id() : "-",
                  q == null ? null : q.isBehind(),
                  q == null ? null : q.resumePending(),
                  q == null ? -1 : q.size(),
                  e.consumer.isBehind(),
                  e.consumer.lastEpoch(),
                  e.consumer.lastPosition(),
                  r.sm.lastAppliedEpoch())
              .isEqualTo(ref.size());
          assertThat(e.processed)
              .as("replica %d vshard %d: everything, once, in order", r.id, e.vshard)
              .isEqualTo(ref);
        }
      }
      stats.merge("stale", count(Kind.STALE), Long::sum);
      stats.merge("gap", count(Kind.GAP), Long::sum);
      stats.merge("acks", count(Kind.ACKS), Long::sum);
      stats.merge("decode errors", count(Kind.DECODE_ERROR), Long::sum);
    }

    private long count(Kind kind) {
      return gen.entries().stream().filter(e -> e.expected() == kind).count();
    }

    void checkInvariants() {
      for (Replica r : replicas) {
        r.check();
      }
      // Streams of one vshard are prefix-compatible across replicas (each was checked against
      // the reference txn by txn; this checks the claim directly).
      for (int v = 0; v < router.vshardCount(); v++) {
        List<SequencedTxn> longest = List.of();
        for (Replica r : replicas) {
          Engine e = r.engines.get(v);
          if (e != null && e.processed.size() > longest.size()) {
            longest = e.processed;
          }
        }
        for (Replica r : replicas) {
          Engine e = r.engines.get(v);
          if (e != null && !e.processed.isEmpty()) {
            int n = e.processed.size();
            assertThat(e.processed.get(n - 1))
                .as("vshard %d: replica %d agrees with the longest stream", v, r.id)
                .isEqualTo(longest.get(n - 1));
          }
        }
      }
    }
  }

  /** A replica: a state machine incarnation, its snapshot and the engines of its vshards. */
  private static final class Replica {
    final World w;
    final int id;
    final BitSet hosted = new BitSet();
    final int queueCapacity;
    final Map<Integer, Engine> engines = new TreeMap<>();
    EpochStateMachine sm;
    int applied; // entries of the log applied by this incarnation's state machine (a prefix)
    long lastEpoch = -1;
    long nextEpoch = 0;
    byte[] snapshot;
    int snapshotApplied;

    Replica(World w, int id) {
      this.w = w;
      this.id = id;
      int vshards = w.router.vshardCount();
      for (int v = 0; v < vshards; v++) {
        if (w.rnd.nextInt(4) != 0) {
          hosted.set(v);
        }
      }
      if (hosted.isEmpty()) {
        hosted.set(w.rnd.nextInt(vshards));
      }
      queueCapacity = 1 + w.rnd.nextInt(6);
      sm = w.newMachine(hosted, queueCapacity);
      hosted.stream().forEach(v -> engines.put(v, new Engine(this, v)));
      engines.values().forEach(Engine::connect);
    }

    Engine randomEngine() {
      List<Engine> all = new ArrayList<>(engines.values());
      return all.get(w.rnd.nextInt(all.size()));
    }

    void applySome(int n) {
      List<LogGenerator.Entry> entries = w.gen.entries();
      for (int i = 0; i < n && applied < entries.size(); i++) {
        LogGenerator.Entry e = entries.get(applied);
        ApplyResult r = sm.apply(e.index(), e.bytes());
        assertThat(r.kind())
            .as("replica %d applying index %d", id, e.index())
            .isEqualTo(e.expected());
        applied++;
        SequencerState s = sm.snapshot();
        if (w.stateAfter.size() == applied) {
          w.stateAfter.add(s);
        } else {
          assertThat(s)
              .as("replica %d's state after %d entries", id, applied)
              .isEqualTo(w.stateAfter.get(applied));
        }
      }
    }

    void takeSnapshot() {
      snapshot = StateCodec.encode(sm.snapshot());
      snapshotApplied = applied;
    }

    /** Crash and restart: a new state machine from the latest snapshot, consumers re-attached. */
    void restart() {
      w.count("restarts");
      sm = w.newMachine(hosted, queueCapacity);
      applied = 0;
      if (snapshot != null) {
        try {
          sm.restore(StateCodec.decode(snapshot));
        } catch (CodecException e) {
          throw new AssertionError("own snapshot does not decode", e);
        }
        applied = snapshotApplied;
        if (applied > 0) {
          assertThat(sm.snapshot()).isEqualTo(w.stateAfter.get(applied));
        }
        w.count("restores");
        // Ratis may hand entries at or below the snapshot to the state machine again.
        int back = Math.min(applied, w.rnd.nextInt(3));
        for (int i = applied - back; i < applied; i++) {
          LogGenerator.Entry e = w.gen.entries().get(i);
          assertThat(sm.apply(e.index(), e.bytes()).kind()).isEqualTo(Kind.ALREADY_APPLIED);
          w.count("re-applied");
        }
      }
      lastEpoch = sm.lastAppliedEpoch();
      nextEpoch = sm.nextEpoch();
      for (Engine e : engines.values()) {
        e.consumer = null; // gone with the old process
        if (e.offlineUntil < 0) {
          e.connect();
        }
      }
    }

    /**
     * A lagging follower gets a leader's snapshot (Ratis installSnapshot) while it runs: its state
     * jumps forward under its attached consumers, which must replay the skipped range.
     */
    void installSnapshotFrom(Replica ahead) {
      if (ahead.applied <= applied) {
        return;
      }
      try {
        sm.restore(StateCodec.decode(StateCodec.encode(ahead.sm.snapshot())));
      } catch (CodecException e) {
        throw new AssertionError("snapshot does not decode", e);
      }
      applied = ahead.applied;
      assertThat(sm.snapshot()).isEqualTo(w.stateAfter.get(applied));
      w.count("snapshot installs");
    }

    void wakeEngines() {
      for (Engine e : engines.values()) {
        if (e.consumer == null && e.offlineUntil >= 0 && w.step >= e.offlineUntil) {
          e.offlineUntil = -1;
          e.connect();
        }
      }
    }

    ReplaySource replaySource() {
      Replayer replayer = sm.replayer(w.log);
      return new ReplaySource() {
        @Override
        public long currentCommittedEpoch() {
          return replayer.currentCommittedEpoch();
        }

        @Override
        public Iterator<SequencedTxn> replay(int vshard, long fromEpoch, long toEpoch) {
          w.count("replays");
          return replayer.replay(vshard, fromEpoch, toEpoch);
        }
      };
    }

    void check() {
      Invariants.check(sm);
      assertThat(sm.lastAppliedEpoch())
          .as("replica %d: epochs only rise", id)
          .isGreaterThanOrEqualTo(lastEpoch);
      assertThat(sm.nextEpoch()).isGreaterThanOrEqualTo(nextEpoch);
      lastEpoch = sm.lastAppliedEpoch();
      nextEpoch = sm.nextEpoch();
      if (applied == 0) {
        assertThat(sm.lastAppliedIndex()).isEqualTo(-1);
      }
      int bound = Integer.highestOneBit(Math.max(4, queueCapacity) * 2 - 1);
      for (int v = 0; v < w.router.vshardCount(); v++) {
        VShardQueue q = sm.subscriptions().queue(v);
        if (q != null) {
          assertThat(q.capacity()).isEqualTo(bound);
          assertThat(q.size()).as("replica %d vshard %d queue", id, v).isLessThanOrEqualTo(bound);
        }
      }
    }
  }

  /** A storage engine's scheduler for one vshard: its durable progress and its consumer. */
  private static final class Engine {
    final Replica r;
    final int vshard;
    final List<SequencedTxn> processed = new ArrayList<>();
    VShardConsumer consumer;
    int stalledUntil = -1;
    int offlineUntil = -1;

    Engine(Replica r, int vshard) {
      this.r = r;
      this.vshard = vshard;
    }

    /** Subscribes at the last processed txn, often inside an epoch. */
    void connect() {
      List<SequencedTxn> ref = r.w.model.stream(vshard);
      if (processed.isEmpty()) {
        consumer =
            new VShardConsumer(
                r.sm.subscriptions(),
                vshard,
                (TxnId) null,
                r.replaySource(),
                SequencerMetrics.noop());
        return;
      }
      SequencedTxn last = processed.get(processed.size() - 1);
      boolean epochDone =
          ref.size() == processed.size() || ref.get(processed.size()).epoch() > last.epoch();
      if (epochDone && r.w.rnd.nextBoolean()) {
        consumer =
            new VShardConsumer(
                r.sm.subscriptions(),
                vshard,
                last.epoch(),
                r.replaySource(),
                SequencerMetrics.noop());
      } else {
        if (!epochDone) {
          r.w.count("mid-epoch resubscribes");
        }
        consumer =
            new VShardConsumer(
                r.sm.subscriptions(), vshard, last.id(), r.replaySource(), SequencerMetrics.noop());
      }
    }

    void poll(int max) {
      if (consumer == null || r.w.step < stalledUntil) {
        return;
      }
      VShardQueue q = r.sm.subscriptions().queue(vshard);
      if (q != null && q.size() == q.capacity()) {
        r.w.count("queue full");
      }
      List<SequencedTxn> ref = r.w.model.stream(vshard);
      for (int i = 0; i < max; i++) {
        SequencedTxn t = consumer.poll();
        if (t == null) {
          return;
        }
        int n = processed.size();
        assertThat(n)
            .as("replica %d vshard %d got %s beyond the reference stream", r.id, vshard, t.id())
            .isLessThan(ref.size());
        assertThat(t)
            .as(
                "replica %d vshard %d txn #%d (after %s)",
                r.id, vshard, n, n == 0 ? "nothing" : processed.get(n - 1).id())
            .isEqualTo(ref.get(n));
        assertThat(t.epoch()).isLessThanOrEqualTo(r.sm.lastAppliedEpoch());
        processed.add(t);
      }
    }

    void stallFor(int steps) {
      stalledUntil = r.w.step + steps;
    }

    void restartConsumer() {
      if (consumer != null) {
        consumer.close();
        r.w.count("consumer restarts");
        connect();
      }
    }

    void goOffline(int steps) {
      if (consumer != null) {
        consumer.close();
        consumer = null;
        offlineUntil = r.w.step + steps;
        r.w.count("offline");
      }
    }
  }
}
