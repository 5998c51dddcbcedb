package org.calvinseq.client;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.calvinseq.core.codec.EntryEncoder;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.protocol.Protocol;

/**
 * Sends a batch to the leader's inbox (on the submission stream, docs/wire-format.md section 14b)
 * and retries it while the leader refuses it for a passing reason (load, leadership changing, a
 * failed epoch, a lost answer), after the leader's retry-after hint and within the call timeout.
 * Every retry sends the same txns with the same client txn ids, so the apply path's de-duplication
 * makes a retry of a txn that was in fact sequenced safe: it is not sequenced again and its answer
 * gives the original id. A failed epoch is retried only when every txn has a client txn id;
 * otherwise its outcome is reported as unknown ({@link SequencerUnavailableException}).
 */
final class InboxSubmitter {
  /**
   * The most txns the client puts in one submission: a leader's default {@code maxTxnsPerEpoch} (a
   * submission goes whole into one epoch; a larger one is refused as bad input).
   */
  static final int MAX_TXNS = 1_024;

  private final SequencerClient client;
  private final SubmissionStreams streams;
  private final long callTimeoutNanos;
  private final int maxEntryBytes;

  InboxSubmitter(
      SequencerClient client, SubmissionStreams streams, long callTimeoutNanos, int maxEntryBytes) {
    this.client = client;
    this.streams = streams;
    this.callTimeoutNanos = callTimeoutNanos;
    this.maxEntryBytes = maxEntryBytes;
  }

  CompletableFuture<Protocol.Submitted> submit(EpochBatch batch) {
    byte[] entry = EntryEncoder.encode(batch);
    if (entry.length > maxEntryBytes) {
      return CompletableFuture.failedFuture(
          new ProposalRejectedException(
              "submission not sent: it is "
                  + entry.length
                  + " bytes encoded, over the limit of "
                  + maxEntryBytes));
    }
    CompletableFuture<Protocol.Submitted> out = client.track(new CompletableFuture<>());
    new Attempt(batch, entry, out, System.nanoTime() + callTimeoutNanos).send();
    return out;
  }

  private final class Attempt {
    final EpochBatch batch;
    final byte[] entry;
    final CompletableFuture<Protocol.Submitted> out;
    final long deadline;
    final long start = System.nanoTime();
    int retries;
    boolean maybeSequenced; // an attempt's outcome was unknown

    Attempt(
        EpochBatch batch, byte[] entry, CompletableFuture<Protocol.Submitted> out, long deadline) {
      this.batch = batch;
      this.entry = entry;
      this.out = out;
      this.deadline = deadline;
    }

    void send() {
      if (out.isDone()) {
        return; // the client closed
      }
      streams.submit(entry).whenComplete(this::answered);
    }

    private void answered(Protocol.SubmitReply reply, Throwable t) {
      Protocol.SubmitRefused f;
      if (t != null) {
        Throwable c = ProposalChannel.unwrap(t);
        if (!(c instanceof SubmissionStreams.Lost lost)) {
          done(null, client.translate(c));
          return;
        }
        // No answer: the submission may have reached the leader and been sequenced, unless the
        // node refused the connection (then it is down: like a member without an inbox).
        f =
            lost.maybeSent
                ? new Protocol.SubmitRefused(
                    "EPOCH_FAILED", true, -1, false, 0, lost.getMessage() + " (outcome unknown)")
                : new Protocol.SubmitRefused("CLOSED", true, -1, false, 0, lost.getMessage());
      } else if (reply instanceof Protocol.Submitted s) {
        done(s, null);
        return;
      } else {
        f = (Protocol.SubmitRefused) reply;
      }
      if (!f.retryable()) {
        done(null, new ProposalRejectedException(f.message()));
        return;
      }
      boolean epochFailed = "EPOCH_FAILED".equals(f.reason());
      maybeSequenced |= epochFailed;
      if (epochFailed && !allHaveClientTxnIds()) {
        done(null, unknown(f, "its txns have no client txn ids, so a retry could repeat them"));
        return;
      }
      boolean redirected = "NOT_LEADER".equals(f.reason()) && f.leader() != null;
      // A named leader is tried at once, a few times, then with backoff (leadership in flux).
      long backoff =
          redirected && retries < 3 ? 0 : client.backoff().delayNanos(retries + 1, client.random());
      retries++;
      long wait = Math.max(TimeUnit.MILLISECONDS.toNanos(f.retryAfterMs()), backoff);
      if (System.nanoTime() + wait >= deadline) {
        done(null, timedOut(f));
        return;
      }
      try {
        client.timer().schedule(this::send, wait, TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException closing) {
        done(null, new IllegalStateException("client closed"));
      }
    }

    /**
     * What a call that ran out of time fails with: an unknown outcome when any attempt may have
     * been sequenced; the leader's message when it was refusing for load; unavailable when no
     * leader took it (leadership changing, or no quorum).
     */
    private RuntimeException timedOut(Protocol.SubmitRefused last) {
      if (maybeSequenced) {
        return unknown(last, "the call timeout passed");
      }
      if (last.reason().equals("CLOSED") || last.reason().equals("NOT_LEADER")) {
        return new SequencerUnavailableException(
            "no leader took the submission within the call timeout: " + last.message());
      }
      return new ProposalRejectedException(last.message() + " (retried until the call timeout)");
    }

    private boolean allHaveClientTxnIds() {
      for (Txn t : batch.txns()) {
        if (t.clientTxnId() == null) {
          return false;
        }
      }
      return true;
    }

    private SequencerUnavailableException unknown(Protocol.SubmitRefused f, String why) {
      return new SequencerUnavailableException(
          "submission's outcome unknown (it may have been sequenced): " + f.message() + "; " + why);
    }

    private void done(Protocol.Submitted s, Throwable err) {
      client.submitted(err, System.nanoTime() - start);
      client.complete(out, s, err);
    }
  }
}
