package org.calvinseq.testkit;

import java.util.Optional;
import org.calvinseq.core.protocol.NodeStatus;

/** What the cluster's waits read from its members' statuses. */
final class ClusterView {
  private ClusterView() {}

  /**
   * The member that leads, if one says so. While an isolated leader has not yet stepped down two
   * members may say they lead; the one with the higher term is the leader.
   */
  static Optional<Integer> leader(NodeStatus[] statuses) {
    int best = -1;
    long bestTerm = -1;
    for (int i = 0; i < statuses.length; i++) {
      NodeStatus s = statuses[i];
      if (s != null && "LEADER".equals(s.role()) && s.term() > bestTerm) {
        best = i;
        bestTerm = s.term();
      }
    }
    return best < 0 ? Optional.empty() : Optional.of(best);
  }

  /** True when every started member answers and has applied {@code epoch}. */
  static boolean allApplied(LocalCluster c, long epoch) {
    for (int i = 0; i < c.size(); i++) {
      if (c.started(i)) {
        NodeStatus s = c.status(i);
        if (s == null || s.lastAppliedEpoch() < epoch) {
          return false;
        }
      }
    }
    return true;
  }

  /** Every member's state on one line: role, term, epoch, applied and commit index, or why not. */
  static String describe(LocalCluster c) {
    StringBuilder b = new StringBuilder(" [");
    for (int i = 0; i < c.size(); i++) {
      b.append(i == 0 ? "" : " | ").append(c.nodeId(i)).append(' ');
      try {
        NodeStatus s = c.status(i);
        if (!c.started(i)) {
          b.append("not running");
        } else if (s == null) {
          b.append("no status");
        } else {
          b.append(s.role())
              .append(" term ")
              .append(s.term())
              .append(" leader ")
              .append(s.leaderId())
              .append(" epoch ")
              .append(s.lastAppliedEpoch())
              .append(" applied ")
              .append(s.lastAppliedIndex())
              .append(" commit ")
              .append(s.commitIndex());
        }
      } catch (RuntimeException e) {
        b.append("status failed: ").append(e);
      }
    }
    return b.append(']').toString();
  }
}
