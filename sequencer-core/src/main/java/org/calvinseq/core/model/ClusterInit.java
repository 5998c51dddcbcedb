package org.calvinseq.core.model;

import java.util.Objects;

/**
 * The settings a cluster fixes for its life, recorded in its log: every leader proposes one such
 * entry when it takes office, until one has been applied on it. A replica whose own settings differ
 * refuses to go on applying (its routing would disagree with the cluster's), whether it meets the
 * entry by log replay or at the head of the log; a snapshot carries the vshard count for the same
 * check on install.
 *
 * <p>It also records the version of the apply rules its leader applies: applying an entry with
 * rules version 2 or more turns on de-duplication by client txn id (docs/wire-format.md, section
 * 9a) at that log position, on every replica alike.
 *
 * @param vshardCount the cluster's vshard count, at least 1
 * @param clusterName the cluster's name (the Raft group id derives from it), not empty
 * @param rulesVersion the apply rules the proposing leader applies, at least 1 (entries written
 *     before the field existed have 1)
 */
public record ClusterInit(int vshardCount, String clusterName, int rulesVersion)
    implements SequencerEntry {
  /** The apply rules of entries that do not name them: those before de-duplication. */
  public static final int FIRST_RULES_VERSION = 1;

  /**
   * The apply rules this code applies, and that its leaders record: 3, grouped batches (2 was
   * de-duplication by client txn id). The same number as {@code WireFormat.RULES_VERSION}, which
   * cannot be used here (the model is below the codec).
   */
  public static final int CURRENT_RULES_VERSION = 3;

  /** The entry this code's leaders propose: its settings, and the current apply rules. */
  public ClusterInit(int vshardCount, String clusterName) {
    this(vshardCount, clusterName, CURRENT_RULES_VERSION);
  }

  public ClusterInit {
    if (vshardCount < 1) {
      throw new IllegalArgumentException("vshardCount must be >= 1: " + vshardCount);
    }
    if (rulesVersion < FIRST_RULES_VERSION) {
      throw new IllegalArgumentException("rulesVersion must be >= 1: " + rulesVersion);
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
