package org.calvinseq.core.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.calvinseq.core.apply.ApplyResult;
import org.calvinseq.core.apply.ApplyResult.Kind;
import org.calvinseq.core.apply.EpochStateMachine;
import org.calvinseq.core.apply.SequencerState;
import org.calvinseq.core.apply.StateCodec;
import org.calvinseq.core.codec.CodecException;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.queue.VShardQueue;
import org.calvinseq.core.replay.ReplaySource;
import org.calvinseq.core.replay.Replayer;
import org.calvinseq.core.testing.Invariants;
import org.calvinseq.core.testing.LogGenerator;

/** A replica: a state machine incarnation, its snapshot and the engines of its vshards. */
final class Replica {
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
  boolean restored; // this incarnation's state came from a snapshot

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
      if (r instanceof ApplyResult.Sequenced s) {
        assertThat(s.notSequenced())
            .as("replica %d: the retries of index %d", id, e.index())
            .isEqualTo(e.notSequenced());
      }
      if (w.results.size() == applied) {
        w.results.add(r);
        w.clients.onFirstApply(applied, r, restored);
      } else {
        assertThat(r)
            .as("replica %d's result for index %d", id, e.index())
            .isEqualTo(w.results.get(applied));
      }
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
    restored = snapshot != null;
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
    restored = true;
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
