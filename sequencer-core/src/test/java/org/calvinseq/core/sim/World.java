package org.calvinseq.core.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.calvinseq.core.apply.ApplyResult;
import org.calvinseq.core.apply.ApplyResult.Kind;
import org.calvinseq.core.apply.EpochStateMachine;
import org.calvinseq.core.apply.SequencerState;
import org.calvinseq.core.dedupe.DedupeLimits;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.queue.VShardQueue;
import org.calvinseq.core.replay.Replayer;
import org.calvinseq.core.routing.CollectionHashRouter;
import org.calvinseq.core.testing.ExactlyOnceChecker;
import org.calvinseq.core.testing.LogGenerator;
import org.calvinseq.core.testing.MapLog;
import org.calvinseq.core.testing.ReferenceModel;
import org.calvinseq.core.testing.RetryingClients;

/** One simulated cluster: the committed log, its reference model and the replicas. */
final class World {
  final SplittableRandom rnd;
  final CollectionHashRouter router;
  final LogGenerator gen;
  final ReferenceModel model;
  final MapLog log = new MapLog();
  final List<Replica> replicas = new ArrayList<>();

  /** The state after applying the first k entries, as the first replica to get there saw it. */
  final List<SequencerState> stateAfter = new ArrayList<>();

  /** The result of applying each entry, as the first replica to apply it (the leader) got it. */
  final List<ApplyResult> results = new ArrayList<>();

  final long retention;
  final int completionMax;
  final long completionMs;
  final DedupeLimits limits;
  final Map<String, Long> stats = new TreeMap<>();
  final ExactlyOnceChecker checker;
  final RetryingClients clients;
  int step;

  World(long seed, DedupeLimits limits, boolean strict) {
    rnd = new SplittableRandom(seed);
    router = new CollectionHashRouter(2 + rnd.nextInt(7));
    this.limits = limits;
    gen = new LogGenerator(rnd.nextLong(), router, limits);
    model = gen.model();
    checker = strict ? ExactlyOnceChecker.strict(router) : ExactlyOnceChecker.lenient(router);
    clients = new RetryingClients(rnd, gen, checker, 2 + rnd.nextInt(3), strict, stats);
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
        .dedupeLimits(limits)
        .build();
  }

  /** Puts the entries generated since the last call into the committed log. */
  void commitNewEntries() {
    List<LogGenerator.Entry> entries = gen.entries();
    for (int i = log.entries().size(); i < entries.size(); i++) {
      log.put(entries.get(i).index(), entries.get(i).bytes());
    }
  }

  void run(int steps) {
    int maxEntries = steps / 2;
    for (step = 0; step < steps; step++) {
      Replica r = replicas.get(rnd.nextInt(replicas.size()));
      int roll = rnd.nextInt(100);
      if (roll < 25 && gen.entries().size() < maxEntries) {
        if (roll < 13) {
          gen.next();
        } else {
          clients.act(step);
        }
        commitNewEntries();
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
    clients.flush(step);
    commitNewEntries();
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
    clients.assertAllAnswered();
    for (Replica r : replicas) {
      Replayer replayer = r.sm.replayer(log);
      for (int v = 0; v < router.vshardCount(); v++) {
        List<SequencedTxn> all = new ArrayList<>();
        replayer.replay(v, 0, Math.max(0, r.sm.lastAppliedEpoch())).forEachRemaining(all::add);
        String where = "replay of vshard " + v + " on replica " + r.id;
        all.forEach(t -> checker.delivered(where, t));
        checker.checkStream(where, v, all);
        assertThat(all).as(where).isEqualTo(model.stream(v));
      }
    }
    stats.merge(
        "sequenced again after being forgotten", (long) checker.resequencedCount(), Long::sum);
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
      for (Engine e : r.engines.values()) {
        checker.checkStream("replica " + r.id + " vshard " + e.vshard, e.vshard, e.processed);
      }
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
