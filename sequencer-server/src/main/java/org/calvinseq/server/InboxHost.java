package org.calvinseq.server;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Function;
import org.calvinseq.client.ProposalRejectedException;
import org.calvinseq.core.codec.CodecException;
import org.calvinseq.core.codec.EntryDecoder;
import org.calvinseq.core.concurrent.DaemonThreads;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.SequencerEntry;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.core.protocol.Protocol;
import org.calvinseq.server.inbox.ClosedEpoch;
import org.calvinseq.server.inbox.EpochCloser;
import org.calvinseq.server.inbox.InboxClock;
import org.calvinseq.server.inbox.InboxListener;
import org.calvinseq.server.inbox.InboxRefusedException;
import org.calvinseq.server.inbox.InboxSettings;
import org.calvinseq.server.inbox.LeaderInbox;
import org.calvinseq.server.inbox.RefusalReason;
import org.calvinseq.server.inbox.SubmissionReceipt;
import org.calvinseq.server.ratis.SubmissionRoute;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader inbox's life on a node: an inbox and its closer thread while the node is the ready
 * leader, none otherwise. Created on {@link #leaderReady()} (Ratis's state machine updater thread),
 * closed when the leader changes or the node closes; queued submissions then fail with {@code
 * CLOSED} and their clients retry on the new leader. Nothing here blocks a Ratis thread: the lock
 * is this object's own (never the node's, whose {@code close()} waits for Ratis's threads), held
 * only to swap the fields, and the closer thread is started, never joined, there.
 *
 * <p>The closer proposes each epoch through {@code proposer} (the node's {@link LocalProposer}:
 * straight to its own Raft server, on the normal client-request path, so the leader's {@code
 * startTransaction} validates it like any proposal); the submitters' futures complete on this
 * host's own completions thread, never on the apply thread.
 */
final class InboxHost implements SubmissionRoute {
  private static final Logger LOG = LoggerFactory.getLogger(InboxHost.class);

  /** The retry hint for a submission that found no inbox: leadership is changing. */
  static final long NO_INBOX_RETRY_MS = 10;

  private final String nodeId;
  private final InboxSettings settings;
  private final InboxListener listener;
  private final Consumer<String> refusedEarly; // a refusal's reason tag, before any inbox
  private final Function<ClosedEpoch, CompletableFuture<BatchReceipt>> proposer;
  private final ExecutorService completions;
  private final ThreadLocal<EntryDecoder> decoders = ThreadLocal.withInitial(EntryDecoder::new);
  private final Object lock = new Object();
  private LeaderInbox inbox; // guarded by lock; null unless this node is the ready leader
  private EpochCloser closer; // guarded by lock
  private boolean closed; // guarded by lock
  private volatile String leader; // the leader's peer id as last told, or null
  private int terms; // guarded by lock: inboxes created, for the closer's thread name

  InboxHost(
      String nodeId,
      InboxSettings settings,
      InboxListener listener,
      Function<ClosedEpoch, CompletableFuture<BatchReceipt>> proposer) {
    this(nodeId, settings, listener, proposer, tag -> {});
  }

  /** Counts the refusals that happen before any inbox (size, decoding, no inbox) by tag. */
  InboxHost(
      String nodeId,
      InboxSettings settings,
      InboxListener listener,
      Function<ClosedEpoch, CompletableFuture<BatchReceipt>> proposer,
      Consumer<String> refusedEarly) {
    this.refusedEarly = refusedEarly;
    this.nodeId = nodeId;
    this.settings = settings;
    this.listener = listener;
    this.proposer = proposer;
    this.completions =
        Executors.newSingleThreadExecutor(DaemonThreads.factory("inbox-completions-" + nodeId));
  }

  /** The current inbox, or null when this node is not the ready leader. */
  LeaderInbox inbox() {
    synchronized (lock) {
      return inbox;
    }
  }

  @Override
  public void leaderReady() {
    synchronized (lock) {
      if (closed || (inbox != null && !inbox.isClosed())) {
        return;
      }
      inbox = new LeaderInbox(settings, InboxClock.system(), listener);
      closer =
          EpochCloser.start(inbox, proposer, completions, "inbox-closer-" + nodeId + "-" + ++terms);
    }
    LOG.info("node {}: leader inbox open", nodeId);
  }

  @Override
  public void leaderChanged(String leaderId, boolean self) {
    leader = leaderId;
    if (!self) {
      stepDown("node " + nodeId + " is no longer the leader");
    }
  }

  /** Closes the inbox, if any: its submissions fail as CLOSED; its closer thread ends by itself. */
  private EpochCloser stepDown(String why) {
    LeaderInbox i;
    EpochCloser c;
    synchronized (lock) {
      i = inbox;
      c = closer;
      inbox = null;
      closer = null;
    }
    if (i != null) {
      i.close(why, null);
      LOG.info("node {}: leader inbox closed: {}", nodeId, why);
    }
    return c;
  }

  @Override
  public CompletableFuture<Protocol.SubmitReply> submit(ByteBuffer batchEntry) {
    int size = batchEntry.remaining();
    int max = settings.limits().maxBatchBytes();
    if (size > max) {
      refusedEarly.accept(RefusalReason.TOO_LARGE.tag());
      return refused(
          "TOO_LARGE",
          false,
          "submission is "
              + size
              + " bytes, over the limit of "
              + max
              + " (the node's max-batch-bytes; its tenant is not read from a submission this"
              + " large)");
    }
    SequencerEntry entry;
    try {
      entry = decoders.get().decode(batchEntry);
    } catch (CodecException e) {
      refusedEarly.accept(InboxMetrics.MALFORMED);
      return refused("MALFORMED", false, "malformed submission: " + e.getMessage());
    }
    if (!(entry instanceof EpochBatch batch) || batch.hasEpoch()) {
      refusedEarly.accept(InboxMetrics.MALFORMED);
      return refused("MALFORMED", false, "a submission is a batch entry without an epoch");
    }
    LeaderInbox i = inbox();
    String elsewhere = leader;
    if (i == null && elsewhere != null && !elsewhere.equals(nodeId)) {
      // Only a stream's submission gets here on a follower: Ratis answers its queries itself.
      refusedEarly.accept(InboxMetrics.NOT_LEADER);
      return CompletableFuture.completedFuture(
          new Protocol.SubmitRefused(
              "NOT_LEADER",
              true,
              -1,
              false,
              0,
              "node " + nodeId + " is not the leader; the leader is " + elsewhere,
              elsewhere));
    }
    if (i == null) {
      refusedEarly.accept(RefusalReason.CLOSED.tag());
      return CompletableFuture.completedFuture(
          new Protocol.SubmitRefused(
              "CLOSED",
              true,
              -1,
              false,
              NO_INBOX_RETRY_MS,
              "node " + nodeId + " has no leader inbox (leadership is changing); retry"));
    }
    return i.submit(batch.txns()).handle(InboxHost::reply);
  }

  private static Protocol.SubmitReply reply(SubmissionReceipt r, Throwable t) {
    if (t == null) {
      return new Protocol.Submitted(r.epoch(), r.firstPosition(), r.txnCount());
    }
    Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    if (c instanceof InboxRefusedException e) {
      return new Protocol.SubmitRefused(
          e.reason().name(),
          e.reason().retryable(),
          e.tenant().orElse(-1),
          e.tenant().isPresent(),
          e.retryAfter() == null ? -1 : e.retryAfter().toMillis(),
          e.getMessage());
    }
    if (c instanceof ProposalRejectedException) {
      return new Protocol.SubmitRefused(
          "REJECTED", false, -1, false, -1, "the leader refused the epoch: " + c.getMessage());
    }
    // The epoch's proposal failed or its outcome is unknown: it may have been sequenced. A retry
    // with the same client txn ids is safe (the apply path de-duplicates them).
    return new Protocol.SubmitRefused(
        "EPOCH_FAILED", true, -1, false, 0, "the submission's epoch failed: " + c);
  }

  private static CompletableFuture<Protocol.SubmitReply> refused(
      String reason, boolean retryable, String message) {
    return CompletableFuture.completedFuture(
        new Protocol.SubmitRefused(reason, retryable, -1, false, retryable ? 0 : -1, message));
  }

  /**
   * Closes the inbox and ends its threads; no inbox is created after this. Not on Ratis threads.
   */
  void close() {
    synchronized (lock) {
      closed = true;
    }
    EpochCloser c = stepDown("node " + nodeId + " is closing");
    if (c != null) {
      c.close();
    }
    completions.shutdown();
  }
}
