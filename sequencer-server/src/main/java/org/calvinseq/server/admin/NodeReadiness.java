package org.calvinseq.server.admin;

import java.util.function.Supplier;

/**
 * The readiness rules of a sequencer node, as plain functions of plain values so that they can be
 * tested without a cluster:
 *
 * <ul>
 *   <li>{@code applied_caught_up}: the node has applied the cluster's log to within {@code maxLag}
 *       entries of the highest commit index it knows of. A follower learns the leader's commit
 *       index from every append-entries request (Ratis's commit infos), so a follower that applied
 *       everything it has, but has far less than the leader, is not ready;
 *   <li>{@code log_writable}: the node's Raft log can be written. After a failed write Ratis
 *       refuses every later write of that log, so the node can only be restarted.
 * </ul>
 */
public final class NodeReadiness {
  private NodeReadiness() {}

  /**
   * Where a node stands.
   *
   * @param appliedIndex the Raft index of the last entry it applied
   * @param commitIndex its own commit index (-1: unknown)
   * @param leaderCommitIndex the highest commit index it has heard of in the group, normally the
   *     leader's (-1: unknown)
   */
  public record Progress(long appliedIndex, long commitIndex, long leaderCommitIndex) {
    /** The commit index the node must catch up with: the higher of its own and the leader's. */
    public long target() {
      return Math.max(commitIndex, leaderCommitIndex);
    }

    /** Entries committed in the group that this node has not applied; -1 when unknown. */
    public long lag() {
      long t = target();
      return t < 0 ? -1 : Math.max(0, t - appliedIndex);
    }
  }

  /** Passes when {@code p} trails the commit index it knows by at most {@code maxLag} entries. */
  public static CheckResult caughtUp(Progress p, long maxLag) {
    long target = p.target();
    if (target < 0) {
      return CheckResult.fail("commit index unknown: the Raft server is not running");
    }
    long lag = p.lag();
    if (lag <= maxLag) {
      return CheckResult.pass();
    }
    return CheckResult.fail(
        "applied index "
            + p.appliedIndex()
            + " trails the leader's commit index "
            + target
            + " by "
            + lag
            + " entries (tolerance "
            + maxLag
            + ")");
  }

  /** The {@code applied_caught_up} check over {@code progress}. */
  public static ReadinessCheck caughtUpCheck(Supplier<Progress> progress, long maxLag) {
    if (maxLag < 0) {
      throw new IllegalArgumentException("the readiness lag tolerance must be >= 0: " + maxLag);
    }
    return new ReadinessCheck("applied_caught_up", () -> caughtUp(progress.get(), maxLag));
  }

  /**
   * The {@code log_writable} check: fails with the reason {@code failure} supplies, null while the
   * log is writable.
   */
  public static ReadinessCheck logWritableCheck(Supplier<String> failure) {
    return new ReadinessCheck(
        "log_writable",
        () -> {
          String f = failure.get();
          return f == null
              ? CheckResult.pass()
              : CheckResult.fail(f + "; the node has left the cluster and must be restarted");
        });
  }

  /** One line saying why the log write failed: the root cause's message (ENOSPC, EIO...). */
  public static String logFailureReason(Throwable cause, long index) {
    Throwable root = cause;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String what = root.getMessage() != null ? root.getMessage() : root.getClass().getName();
    return "raft log write failed" + (index >= 0 ? " at index " + index : "") + ": " + what;
  }
}
