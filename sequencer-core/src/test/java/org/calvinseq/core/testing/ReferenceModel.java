package org.calvinseq.core.testing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.calvinseq.core.apply.ApplyResult.Kind;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.routing.VShardRouter;

/**
 * The apply rules of DESIGN section 4 written as plainly as possible, with no queues and no index:
 * what every vshard must receive from a log, in order. Tests compare the real state machine, its
 * queues and its replayer against it (etcd's {@code quick_test.go} habit).
 */
public final class ReferenceModel {
  private final VShardRouter router;
  private final Map<Integer, List<SequencedTxn>> streams = new HashMap<>();
  private final List<SequencedTxn> all = new ArrayList<>();
  private long nextEpoch;
  private long lastMs = -1;

  public ReferenceModel(VShardRouter router) {
    this.router = router;
  }

  /** Applies a batch; returns the kind the state machine must report for it. */
  public Kind apply(EpochBatch b) {
    long epoch = b.hasEpoch() ? b.epoch() : nextEpoch;
    if (epoch < nextEpoch) {
      return Kind.STALE;
    }
    Kind kind = epoch > nextEpoch ? Kind.GAP : Kind.APPLIED;
    long ms = Math.max(b.proposerMs(), lastMs + 1);
    for (int pos = 0; pos < b.txns().size(); pos++) {
      Txn t = b.txns().get(pos);
      SequencedTxn s = new SequencedTxn(t, epoch, pos, ms);
      all.add(s);
      for (int v : participants(t)) {
        streams.computeIfAbsent(v, k -> new ArrayList<>()).add(s);
      }
    }
    nextEpoch = epoch + 1;
    lastMs = ms;
    return kind;
  }

  public TreeSet<Integer> participants(Txn t) {
    TreeSet<Integer> vs = new TreeSet<>();
    for (Key k : t.readSet()) {
      vs.add(router.vshardOf(k));
    }
    for (Key k : t.writeSet()) {
      vs.add(router.vshardOf(k));
    }
    return vs;
  }

  /** Everything {@code vshard} must receive, in (epoch, position) order. */
  public List<SequencedTxn> stream(int vshard) {
    return streams.getOrDefault(vshard, List.of());
  }

  /** The part of {@link #stream} in epochs {@code [from, to]}. */
  public List<SequencedTxn> stream(int vshard, long from, long to) {
    List<SequencedTxn> out = new ArrayList<>();
    for (SequencedTxn s : stream(vshard)) {
      if (s.epoch() >= from && s.epoch() <= to) {
        out.add(s);
      }
    }
    return out;
  }

  /** Every sequenced txn, in order. */
  public List<SequencedTxn> all() {
    return all;
  }

  public long nextEpoch() {
    return nextEpoch;
  }

  public long lastAppliedEpoch() {
    return nextEpoch - 1;
  }
}
