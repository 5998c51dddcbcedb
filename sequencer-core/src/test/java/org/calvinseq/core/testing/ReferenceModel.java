package org.calvinseq.core.testing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.calvinseq.core.apply.ApplyResult.Kind;
import org.calvinseq.core.codec.WireFormat;
import org.calvinseq.core.dedupe.DedupeLimits;
import org.calvinseq.core.model.ClusterInit;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.NotSequenced;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.routing.VShardRouter;

/**
 * The apply rules of DESIGN section 4 written as plainly as possible, with no queues and no index:
 * what every vshard must receive from a log, in order. Tests compare the real state machine, its
 * queues and its replayer against it (etcd's {@code quick_test.go} habit). De-duplication comes
 * from {@link ReferenceDedupe}, an independent plain version of the rules.
 */
public final class ReferenceModel {
  private final VShardRouter router;
  private final ReferenceDedupe dedupe;
  private final Map<Integer, List<SequencedTxn>> streams = new HashMap<>();
  private final List<SequencedTxn> all = new ArrayList<>();
  private long nextEpoch;
  private long lastMs = -1;
  private List<NotSequenced> lastNotSequenced = List.of();
  private int rulesVersion = ClusterInit.FIRST_RULES_VERSION;

  public ReferenceModel(VShardRouter router) {
    this(router, DedupeLimits.PROTOCOL);
  }

  public ReferenceModel(VShardRouter router, DedupeLimits limits) {
    this.router = router;
    this.dedupe = new ReferenceDedupe(limits);
  }

  /** The txns of the last batch applied that were not sequenced; empty for other outcomes. */
  public List<NotSequenced> lastNotSequenced() {
    return lastNotSequenced;
  }

  /** The apply rules the log has recorded so far. */
  public int rulesVersion() {
    return rulesVersion;
  }

  /**
   * Applies a cluster-init entry: from apply rules 2 on, retries are recognised; from 3 on, grouped
   * batches decode (the generator, not this model, writes them).
   */
  public void apply(ClusterInit init) {
    rulesVersion = Math.max(rulesVersion, init.rulesVersion());
  }

  /** Applies a batch; returns the kind the state machine must report for it. */
  public Kind apply(EpochBatch b) {
    lastNotSequenced = List.of();
    long epoch = b.hasEpoch() ? b.epoch() : nextEpoch;
    if (epoch < nextEpoch) {
      return Kind.STALE;
    }
    if (epoch > Long.MAX_VALUE - 1 || epoch - nextEpoch > WireFormat.MAX_EPOCH_GAP) {
      return Kind.OUT_OF_RANGE; // takes no epoch, changes nothing
    }
    Kind kind = epoch > nextEpoch ? Kind.GAP : Kind.APPLIED;
    // The proposer's clock, at most MAX_EPOCH_MS_STEP past the previous epoch (the first epoch: at
    // most MAX_PROPOSER_MS), and strictly rising. Generated logs keep times far below 2^63.
    long cap =
        lastMs < 0
            ? WireFormat.MAX_PROPOSER_MS
            : Math.min(WireFormat.MAX_PROPOSER_MS, lastMs + WireFormat.MAX_EPOCH_MS_STEP);
    long ms = Math.max(Math.min(b.proposerMs(), cap), lastMs + 1);
    if (rulesVersion >= WireFormat.RULES_DEDUPE) {
      lastNotSequenced = dedupe.decide(b.txns(), epoch, ms);
    }
    java.util.Set<Integer> holes = new java.util.HashSet<>();
    lastNotSequenced.forEach(n -> holes.add(n.position()));
    for (int pos = 0; pos < b.txns().size(); pos++) {
      if (holes.contains(pos)) {
        continue; // a retry: not sequenced, delivered to nobody
      }
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

  /** The de-duplication state. */
  public ReferenceDedupe dedupe() {
    return dedupe;
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
