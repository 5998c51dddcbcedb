package org.calvinseq.client;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.apache.ratis.protocol.exceptions.StateMachineException;

/**
 * Maps what a call failed with (Ratis's exceptions, gRPC's, timeouts) onto the client's own
 * exceptions, with messages that say what to do, and names each outcome for the client's metrics.
 */
final class ClientErrors {
  private final Duration callTimeout;
  private final int clusterMaxBatchBytes;
  private final BooleanSupplier closed;

  /**
   * @param callTimeout the client's call timeout, named in "unavailable" messages
   * @param clusterMaxBatchBytes the servers' max-batch-bytes as the client was told it
   * @param closed whether the client is closed: every failure then reads as "client closed"
   */
  ClientErrors(Duration callTimeout, int clusterMaxBatchBytes, BooleanSupplier closed) {
    this.callTimeout = callTimeout;
    this.clusterMaxBatchBytes = clusterMaxBatchBytes;
    this.closed = closed;
  }

  /** The client's exception for {@code t} (unwrapped). */
  RuntimeException translate(Throwable t) {
    Throwable c = ProposalChannel.unwrap(t);
    if (c instanceof RuntimeException re
        && !(c instanceof CompletionException)
        && (c instanceof ProposalRejectedException
            || c instanceof SequencerUnavailableException
            || c instanceof StaleEpochException
            || c instanceof IllegalStateException)) {
      return re;
    }
    if (c instanceof StateMachineException) {
      Throwable cause = c.getCause() != null ? c.getCause() : c;
      String msg = cause.getMessage();
      return new ProposalRejectedException(msg == null ? c.toString() : msg);
    }
    if (closed.getAsBoolean()) {
      return new IllegalStateException("client closed", c);
    }
    String tooLarge = GrpcErrors.messageTooLarge(c);
    if (tooLarge != null) {
      return new ProposalRejectedException(
          "proposal rejected by the node's gRPC message limit ("
              + tooLarge
              + "): the servers' max-batch-bytes is smaller than the clusterMaxBatchBytes "
              + clusterMaxBatchBytes
              + " the client was given");
    }
    if (c instanceof TimeoutException || c instanceof IOException) {
      return new SequencerUnavailableException(
          "sequencer unavailable: no leader with a quorum answered within "
              + callTimeout.toMillis()
              + " ms (last error: "
              + (c.getCause() != null ? c.getCause() : c)
              + ")",
          c);
    }
    return c instanceof RuntimeException re ? re : new CompletionException(c);
  }

  /** The outcome tag of a call that ended with {@code err} (null: success), for the metrics. */
  static String outcome(Throwable err) {
    if (err == null) {
      return "success";
    }
    if (err instanceof ProposalRejectedException) {
      return "rejected";
    }
    return err instanceof StaleEpochException ? "stale" : "unavailable";
  }
}
