package org.calvinseq.server.ratis;

import java.io.IOException;
import java.io.InterruptedIOException;
import org.apache.ratis.grpc.server.GrpcLogAppender;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.leader.FollowerInfo;
import org.apache.ratis.server.leader.LeaderState;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ratis 3.2.2's gRPC log appender with two fixes that upstream made after that release. Without
 * them a leader can stop feeding one follower for good (until the leader changes), which our fault
 * suite hit whenever a follower came back after the leader had purged the log up to it:
 *
 * <ol>
 *   <li><b>The entry before the follower's next index is purged</b> (RATIS-2487). When a follower's
 *       next index equals the leader's log start index exactly (common: a follower whose disk
 *       filled stopped at a segment end, and the leader purges whole segments), 3.2.2 neither sends
 *       a snapshot (the next index is not below the start) nor can it build an append request (the
 *       previous term-index is gone) and the appender dies on a null check. Here that follower gets
 *       the latest snapshot instead, which always covers the purged entry.
 *   <li><b>A failed appender is never restarted</b> (RATIS-2499). When the appender's loop throws
 *       (seen: "Log entry not found" when a purge races the read of the follower's next entry;
 *       "Previous = (t:2, i:1118) but firstIndex = 1151" when a reply moves the follower's next
 *       index while a request is being built), the daemon asks the appender to restart itself, but
 *       3.2.2 refuses because the failed daemon no longer counts as running. Here the restart goes
 *       ahead while this node is still an alive leader with an open log: Ratis replaces the
 *       appender with a fresh one.
 * </ol>
 *
 * Both are removed when the project moves to a Ratis release with RATIS-2487 and RATIS-2499.
 */
final class RecoveringLogAppender extends GrpcLogAppender {
  private static final Logger LOG = LoggerFactory.getLogger(RecoveringLogAppender.class);

  /** How long a failed appender waits before it is replaced, so a persistent fault cannot spin. */
  static final long RESTART_PAUSE_MS = 200;

  /** The daemon thread whose run failed; only it is told "still running", to let it restart. */
  private volatile Thread failedOn;

  RecoveringLogAppender(RaftServer.Division server, LeaderState leaderState, FollowerInfo f) {
    super(server, leaderState, f);
  }

  @Override
  public SnapshotInfo shouldInstallSnapshot() {
    SnapshotInfo snapshot = super.shouldInstallSnapshot();
    if (snapshot != null) {
      return snapshot;
    }
    SnapshotInfo latest = getServer().getStateMachine().getLatestSnapshot();
    if (latest == null) {
      return null;
    }
    RaftLog log = getRaftLog();
    long next = getFollower().getNextIndex();
    TermIndex previous = next > RaftLog.LEAST_VALID_LOG_INDEX ? log.getTermIndex(next - 1) : null;
    if (!previousIsMissing(next, log.getNextIndex(), previous != null, latest.getIndex())) {
      return null;
    }
    LOG.info(
        "{}: the entry before {}'s next index {} is purged; sending snapshot {} instead",
        this,
        getFollowerId(),
        next,
        latest.getTermIndex());
    return latest;
  }

  /**
   * Whether an append request to a follower whose next index is {@code followerNext} cannot be
   * built because the entry before it is neither in the log nor the snapshot's last entry.
   */
  static boolean previousIsMissing(
      long followerNext, long leaderNext, boolean previousInLog, long snapshotIndex) {
    return followerNext > RaftLog.LEAST_VALID_LOG_INDEX
        && followerNext < leaderNext
        && !previousInLog
        && snapshotIndex != followerNext - 1;
  }

  @Override
  public void run() throws IOException {
    try {
      super.run();
    } catch (IOException | RuntimeException | Error e) {
      if (!(e instanceof InterruptedIOException)) {
        LOG.warn("{} failed", this, e);
        failedOn = Thread.currentThread();
        pauseBeforeRestart();
      }
      throw e;
    }
  }

  private static void pauseBeforeRestart() {
    try {
      Thread.sleep(RESTART_PAUSE_MS);
    } catch (InterruptedException closing) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public boolean isRunning() {
    if (failedOn == Thread.currentThread()) {
      // Only the failed daemon thread asks this, from its restart: allow it while we lead.
      RaftServer.Division server = getServer();
      boolean replace =
          !Thread.currentThread().isInterrupted()
              && server.getInfo().isAlive()
              && server.getInfo().isLeader()
              && getRaftLog().isOpened();
      LOG.warn(
          "{}: {}", this, replace ? "replacing the failed appender" : "not leading: not replaced");
      return replace;
    }
    return super.isRunning();
  }
}
