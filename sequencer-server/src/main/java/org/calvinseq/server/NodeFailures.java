package org.calvinseq.server;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.apache.ratis.server.RaftServer;
import org.calvinseq.core.concurrent.DaemonThreads;
import org.calvinseq.server.admin.NodeReadiness;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The two conditions a node cannot recover from in place: a failed write of its Raft log, and a
 * cluster-init entry that disagrees with its settings. Each is reported once, at ERROR, closes the
 * node's Raft server (the other members see it down) and completes a future on which {@code
 * sequencer node} exits for its supervisor; {@code /ready} fails its check meanwhile.
 */
final class NodeFailures {
  private static final Logger LOG = LoggerFactory.getLogger(NodeFailures.class);

  private final String nodeId;
  private final Supplier<RaftServer> server;
  // Completed (with the reason) once the Raft log failed to write; the node is then unusable.
  private final CompletableFuture<String> logFailure = new CompletableFuture<>();
  // Completed (with the reason) once a cluster-init entry disagreed with this node's settings.
  private final CompletableFuture<String> clusterMismatch = new CompletableFuture<>();
  // Completed when every close of the Raft server begun by a failure has ended (at once when none
  // began; both failures may begin one, and only the first does the closing).
  private volatile CompletableFuture<Void> raftServerClosed =
      CompletableFuture.completedFuture(null);

  /**
   * @param nodeId the node's id, for the log
   * @param server the node's Raft server once it exists (null before)
   */
  NodeFailures(String nodeId, Supplier<RaftServer> server) {
    this.nodeId = nodeId;
    this.server = server;
  }

  /**
   * Ratis's log worker failed to write (disk full, I/O error). Ratis then fails every later write
   * of this log, even once space is back, while the node stays a follower that the leader keeps
   * resending entries to: nothing but a restart helps. So the node reports it once at ERROR, fails
   * {@code log_writable} in {@code /ready}, closes its Raft server and completes {@link
   * #logFailure()}, on which {@code sequencer node} exits with status 3 for its supervisor to
   * restart it.
   */
  void logFailed(Throwable cause, long index) {
    if (logFailure.isDone()) {
      return;
    }
    String reason = NodeReadiness.logFailureReason(cause, index);
    if (!logFailure.complete(reason)) {
      return;
    }
    LOG.error(
        "node {}: {}; closing its Raft server: restart the node once the disk is fixed",
        nodeId,
        reason);
    // Not on the log worker thread: closing the server waits for that thread to end.
    closeRaftServerInBackground();
  }

  /**
   * A cluster-init entry in the log records another vshard count (or cluster name) than this
   * node's: its routing disagrees with the cluster's, so its state machine applies nothing more.
   * The node reports it once at ERROR, fails {@code cluster_settings} in {@code /ready}, closes its
   * Raft server and completes {@link #clusterMismatch()}, on which {@code sequencer node} exits
   * with status 4. Restarting does not help: fix the setting and give the node a new data
   * directory. Called on the apply thread.
   */
  void clusterMismatched(String reason) {
    if (!clusterMismatch.complete(reason)) {
      return;
    }
    LOG.error(
        "node {}: {}; closing its Raft server: start it with the cluster's settings and an empty"
            + " data directory",
        nodeId,
        reason);
    // Not on the apply thread: closing the server waits for that thread to end.
    closeRaftServerInBackground();
  }

  private synchronized void closeRaftServerInBackground() {
    CompletableFuture<Void> closed = new CompletableFuture<>();
    raftServerClosed = CompletableFuture.allOf(raftServerClosed, closed);
    DaemonThreads.start(
        "raft-close-" + nodeId,
        () -> {
          RaftServer s = server.get();
          try {
            if (s != null) {
              s.close();
            }
          } catch (IOException | RuntimeException e) {
            LOG.warn("node {}: closing the Raft server failed: {}", nodeId, e.toString());
          } finally {
            closed.complete(null);
          }
        });
  }

  /**
   * Waits until a close of the Raft server begun by a failure has ended. A second {@code close()}
   * of a Raft server returns at once while the first still runs (Ratis's life cycle), so the node's
   * own close waits here: otherwise it could return while Ratis still writes to its data directory
   * (a snapshot on stop).
   */
  void awaitRaftServerClosed() {
    raftServerClosed.join();
  }

  /** A copy of the log failure's future: the caller cannot complete the node's own. */
  CompletableFuture<String> logFailure() {
    return logFailure.copy();
  }

  /** A copy of the cluster mismatch's future. */
  CompletableFuture<String> clusterMismatch() {
    return clusterMismatch.copy();
  }

  /** Whether the Raft log has failed to write. */
  boolean hasLogFailed() {
    return logFailure.isDone();
  }

  /** Why the Raft log failed to write; null while it has not. */
  String logFailureReason() {
    return logFailure.getNow(null);
  }

  /** Why a cluster-init entry disagreed with this node's settings; null while none has. */
  String clusterMismatchReason() {
    return clusterMismatch.getNow(null);
  }
}
