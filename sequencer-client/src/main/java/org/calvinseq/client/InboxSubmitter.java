package org.calvinseq.client;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.calvinseq.core.codec.CodecException;
import org.calvinseq.core.codec.EntryEncoder;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.protocol.Protocol;

/**
 * Sends a batch to the leader's inbox (the submission query, docs/wire-format.md section 14a) and
 * retries it while the leader refuses it for a passing reason (load, leadership changing, a failed
 * epoch), after the leader's retry-after hint and within the call timeout. Every retry sends the
 * same txns with the same client txn ids, so the apply path's de-duplication makes a retry of a txn
 * that was in fact sequenced safe: it is not sequenced again and its answer gives the original id.
 * A failed epoch is retried only when every txn has a client txn id; otherwise its outcome is
 * reported as unknown ({@link SequencerUnavailableException}).
 */
final class InboxSubmitter {
  /**
   * The most txns the client puts in one submission: a leader's default {@code maxTxnsPerEpoch} (a
   * submission goes whole into one epoch; a larger one is refused as bad input).
   */
  static final int MAX_TXNS = 1_024;

  private final SequencerClient client;
  private final ProposalChannel channel;
  private final long callTimeoutNanos;
  private final int maxEntryBytes;

  InboxSubmitter(
      SequencerClient client, ProposalChannel channel, long callTimeoutNanos, int maxEntryBytes) {
    this.client = client;
    this.channel = channel;
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
    Message query = Message.valueOf(UnsafeByteOperations.unsafeWrap(Protocol.submitQuery(entry)));
    new Attempt(batch, query, out, System.nanoTime() + callTimeoutNanos).send();
    return out;
  }

  private final class Attempt {
    final EpochBatch batch;
    final Message query;
    final CompletableFuture<Protocol.Submitted> out;
    final long deadline;
    final long start = System.nanoTime();
    int retries;

    Attempt(
        EpochBatch batch, Message query, CompletableFuture<Protocol.Submitted> out, long deadline) {
      this.batch = batch;
      this.query = query;
      this.out = out;
      this.deadline = deadline;
    }

    void send() {
      if (out.isDone()) {
        return; // the client closed
      }
      channel.sendReadOnly(query).whenComplete(this::answered);
    }

    private void answered(RaftClientReply reply, Throwable t) {
      Protocol.SubmitReply r;
      try {
        if (t != null) {
          throw client.translate(t);
        }
        client.health().success(reply.getServerId());
        if (!reply.isSuccess()) {
          throw client.translate(reply.getException());
        }
        ByteBuffer b = reply.getMessage().getContent().asReadOnlyByteBuffer();
        r = Protocol.decodeSubmitReply(b);
      } catch (CodecException e) {
        done(null, new IllegalStateException("undecodable submit answer", e));
        return;
      } catch (RuntimeException e) {
        done(null, e);
        return;
      }
      if (r instanceof Protocol.Submitted s) {
        done(s, null);
        return;
      }
      Protocol.SubmitRefused f = (Protocol.SubmitRefused) r;
      if (!f.retryable()) {
        done(null, new ProposalRejectedException(f.message()));
        return;
      }
      boolean epochFailed = "EPOCH_FAILED".equals(f.reason());
      if (epochFailed && !allHaveClientTxnIds()) {
        done(null, unknown(f, "its txns have no client txn ids, so a retry could repeat them"));
        return;
      }
      long backoff = client.backoff().delayNanos(++retries, client.random());
      long wait = Math.max(TimeUnit.MILLISECONDS.toNanos(f.retryAfterMs()), backoff);
      if (System.nanoTime() + wait >= deadline) {
        done(
            null,
            epochFailed
                ? unknown(f, "the call timeout passed")
                : new ProposalRejectedException(f.message() + " (retried until the call timeout)"));
        return;
      }
      try {
        client.timer().schedule(this::send, wait, TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException closing) {
        done(null, new IllegalStateException("client closed"));
      }
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
