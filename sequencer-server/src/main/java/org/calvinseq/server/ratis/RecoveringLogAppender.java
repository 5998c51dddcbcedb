package org.calvinseq.server.ratis;

import java.io.IOException;
import java.io.InterruptedIOException;
import org.apache.ratis.grpc.server.GrpcLogAppender;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.leader.FollowerInfo;
import org.apache.ratis.server.leader.LeaderState;

/**
 * Ratis's gRPC log appender, which waits a moment before it is replaced after a failure.
 *
 * <p>Ratis 3.3.0 replaces a leader's appender whose loop failed (RATIS-2499; seen: "Log entry not
 * found" when a purge races the read of the follower's next entry, "Previous = (t:2, i:1118) but
 * firstIndex = 1151" when a reply moves the follower's next index while a request is being built)
 * and sends the snapshot to a follower whose next index is the leader's log start when the entry
 * before it is purged (RATIS-2487). It replaces the failed appender at once, though: a fault that
 * fails every new appender too (a log that cannot be read) would have the leader make and drop
 * appenders, each logging its stack trace, as fast as it can. Here the failed appender's thread
 * waits {@link #RESTART_PAUSE_MS} before it hands the failure on to Ratis, which bounds that to a
 * few replacements a second.
 *
 * <p>It also resyncs a follower that lost its storage (RATIS-2523): a member restored by emptying
 * its data directory answers every append with "inconsistent, send from index 0", and Ratis floors
 * the next index at the follower's old match index + 1, so the leader resends the same entries
 * forever (or, idle, heartbeats forever) until leadership changes. See {@link
 * #getNextIndexForInconsistency}.
 */
final class RecoveringLogAppender extends GrpcLogAppender {
  /** How long a failed appender waits before it is replaced, so a persistent fault cannot spin. */
  static final long RESTART_PAUSE_MS = 200;

  RecoveringLogAppender(RaftServer.Division server, LeaderState leaderState, FollowerInfo f) {
    super(server, leaderState, f);
  }

  /**
   * A follower that asks for entries at or below what the leader recorded as matched has lost them
   * (its storage was emptied): start from where it asks. Ratis would keep the next index above the
   * stale match index, which such a follower never accepts. A healthy follower never asks for less
   * than it has matched, so this changes nothing else; resending entries a follower already holds
   * is harmless anyway (an append of matching entries is a no-op).
   */
  @Override
  protected long getNextIndexForInconsistency(long requestFirstIndex, long replyNextIndex) {
    if (lostStorage(replyNextIndex, getFollower().getMatchIndex())) {
      return replyNextIndex;
    }
    return super.getNextIndexForInconsistency(requestFirstIndex, replyNextIndex);
  }

  /** True when a follower's "send from {@code replyNextIndex}" is at or below its match index. */
  static boolean lostStorage(long replyNextIndex, long matchIndex) {
    return replyNextIndex >= 0 && replyNextIndex <= matchIndex;
  }

  @Override
  public void run() throws IOException {
    try {
      super.run();
    } catch (IOException | RuntimeException | Error e) {
      if (!(e instanceof InterruptedIOException)) {
        // Ratis logs the failure itself when this throws, then replaces the appender.
        pauseBeforeRestart();
      }
      throw e;
    }
  }

  /**
   * Sleeps {@link #RESTART_PAUSE_MS}; returns early, with the thread's interrupt flag set, when the
   * appender is closed meanwhile (Ratis interrupts its thread, and does not replace it then).
   */
  static void pauseBeforeRestart() {
    try {
      Thread.sleep(RESTART_PAUSE_MS);
    } catch (InterruptedException closing) {
      Thread.currentThread().interrupt();
    }
  }
}
