package org.calvinseq.core.model;

import java.util.Objects;

/**
 * The settings a cluster fixes for its life, recorded in its log: every leader proposes one such
 * entry when it takes office, until one has been applied on it. A replica whose own settings differ
 * refuses to go on applying (its routing would disagree with the cluster's), whether it meets the
 * entry by log replay or at the head of the log; a snapshot carries the vshard count for the same
 * check on install.
 *
 * @param vshardCount the cluster's vshard count, at least 1
 * @param clusterName the cluster's name (the Raft group id derives from it), not empty
 */
public record ClusterInit(int vshardCount, String clusterName) implements SequencerEntry {
  public ClusterInit {
    if (vshardCount < 1) {
      throw new IllegalArgumentException("vshardCount must be >= 1: " + vshardCount);
    }
    Objects.requireNonNull(clusterName, "clusterName");
    if (clusterName.isEmpty()) {
      throw new IllegalArgumentException("clusterName must not be empty");
    }
  }

  /** Null when this entry agrees with a node's own settings, else one line saying what differs. */
  public String mismatch(int nodeVShardCount, String nodeClusterName) {
    if (vshardCount != nodeVShardCount) {
      return "the cluster's log records vshardCount="
          + vshardCount
          + " but this node is configured with vshardCount="
          + nodeVShardCount
          + "; the vshard count is fixed for a cluster's life";
    }
    if (nodeClusterName != null && !clusterName.equals(nodeClusterName)) {
      return "the cluster's log records cluster name '"
          + clusterName
          + "' but this node is configured with cluster name '"
          + nodeClusterName
          + "'";
    }
    return null;
  }
}
