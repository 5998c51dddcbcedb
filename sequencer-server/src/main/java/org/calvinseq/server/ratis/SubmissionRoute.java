package org.calvinseq.server.ratis;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import org.calvinseq.core.protocol.Protocol;

/**
 * Where the state machine sends submissions (the {@link Protocol#Q_SUBMIT} read-only query, and the
 * submission stream's messages) and what it tells about leadership: on a node, the leader inbox's
 * host. Ratis answers a read-only query only on the ready leader (its default read option); other
 * members answer not-leader, and the client follows the leader. The stream reaches every member,
 * whose route then answers {@code NOT_LEADER} with the leader it knows. Every method is called on a
 * Ratis thread and must return at once.
 */
public interface SubmissionRoute {
  /** Refuses every submission: this node has no inbox. */
  SubmissionRoute NONE =
      entry ->
          CompletableFuture.completedFuture(
              new Protocol.SubmitRefused(
                  "CLOSED", true, -1, false, 10, "this node does not take submissions"));

  /**
   * Takes a submission: {@code batchEntry} is the query's batch entry, not decoded yet. Completes
   * with the answer to send back (never exceptionally, unless the node is broken).
   */
  CompletableFuture<Protocol.SubmitReply> submit(ByteBuffer batchEntry);

  /** This node became a ready leader (on the state machine updater thread). */
  default void leaderReady() {}

  /**
   * The leader changed, to {@code leaderId} (null when none is known; {@code self} true when it is
   * this node, not necessarily ready yet).
   */
  default void leaderChanged(String leaderId, boolean self) {}
}
