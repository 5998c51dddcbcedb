package org.calvinseq.server.inbox;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Txn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's inbox and epoch former: clients' submissions (batches of txns, any tenants) wait
 * here, and the former closes them into epochs, one {@link EpochBatch} per Raft entry, so that many
 * small clients make few large entries instead of one entry (and one epoch) each.
 *
 * <p><b>Closing</b> (adaptive, like group commit): nothing closes while {@link
 * InboxSettings#maxInFlight()} closed epochs await their outcome; otherwise an epoch closes as soon
 * as the pending txns or bytes fill one, the oldest pending submission has waited {@link
 * InboxSettings#epochInterval()}, or fewer than {@link InboxSettings#eagerInFlight()} epochs are in
 * flight. Light load gets small fast epochs, heavy load large ones. Every epoch is within {@link
 * InboxSettings#maxTxnsPerEpoch()} and {@link InboxSettings#maxBytesPerEpoch()} (encoded, bounded
 * from above), hence within the leader's {@link org.calvinseq.core.codec.ProposalLimits}.
 *
 * <p><b>Submissions</b> are never split: each goes whole into one epoch, its txns contiguous and in
 * order, and its future completes with a {@link SubmissionReceipt} (the epoch's receipt and its
 * positions) when the caller reports the epoch applied, or fails with the epoch. A submission that
 * could not fit one epoch, or holds a bad txn, is refused before the inbox.
 *
 * <p><b>Admission</b> never blocks and never queues beyond the bounds: a submission that would take
 * the inbox over its capacity (txns or bytes), its tenant over its share (1/{@link
 * InboxSettings#tenantShareDivisor()}), or the inbox into the reserve kept for light tenants while
 * its tenant is not light, is refused at once with an {@link InboxRefusedException} (in the
 * returned future) that names the limit, the tenant and a retry-after hint.
 *
 * <p><b>Fairness</b>: pending submissions wait in one FIFO lane per tenant (the tenant of their
 * first txn) and epochs are filled by deficit round robin over the lanes ({@link TenantLanes}): a
 * flooding tenant fills at most its share of the inbox and gets about an equal part of each epoch,
 * and a tenant that was idle is served after at most one turn of each backlogged tenant, not after
 * their backlogs.
 *
 * <p><b>Threads</b>: {@link #submit} is called from many threads (the server's gRPC threads); it
 * checks and measures the submission before taking the lock, and holds the lock only to admit it (a
 * few map and counter updates). One closer thread calls {@link #awaitEpoch} in a loop (or {@link
 * EpochCloser} does) and proposes what it gets; any thread reports an epoch's outcome through
 * {@link ClosedEpoch}. The closer waits on a condition of the same lock, re-checking the state
 * under it, and every change that can make an epoch due (a submission into an empty inbox or one
 * that fills an epoch, an epoch's outcome) signals it under that lock, so no wake-up is lost; the
 * interval is a timed wait. Futures and the {@link InboxListener} run outside the lock.
 *
 * <p>Time comes from an {@link InboxClock}, so that tests drive it by hand ({@link #poke()} makes a
 * waiting closer look again after the clock moved).
 */
public final class LeaderInbox {
  /** How many most-refused tenants {@link InboxStats#topRefusedTenants()} tracks. */
  public static final int TOP_TENANTS = 10;

  private static final Logger LOG = LoggerFactory.getLogger(LeaderInbox.class);

  private final InboxSettings settings;
  private final InboxClock clock;
  private final InboxListener listener;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wake = lock.newCondition();
  private final EpochFormer former;
  private int closersWaiting;
  private String closedWhy;
  private Throwable closedCause;

  /**
   * An open, empty inbox.
   *
   * @param settings its limits ({@link InboxSettings#defaults} within the leader's proposal limits)
   * @param clock its time ({@link InboxClock#system()} outside tests)
   * @param listener who hears its events ({@link InboxListener#NONE} for nobody)
   */
  public LeaderInbox(InboxSettings settings, InboxClock clock, InboxListener listener) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.listener = Objects.requireNonNull(listener, "listener");
    this.former = new EpochFormer(settings, TOP_TENANTS);
  }

  public InboxSettings settings() {
    return settings;
  }

  /**
   * Offers {@code txns} as one submission. Never blocks: the returned future is already failed with
   * an {@link InboxRefusedException} when the submission is refused (bad input, a limit, or the
   * inbox closed), and nothing of it was queued; otherwise it completes with the submission's
   * receipt once its epoch applied, or fails with the epoch's failure. Completing or cancelling the
   * returned future does not withdraw the submission.
   */
  public CompletableFuture<SubmissionReceipt> submit(List<Txn> txns) {
    Objects.requireNonNull(txns, "txns");
    Submission sub;
    try {
      sub = Submission.prepare(txns, settings);
    } catch (InboxRefusedException bad) {
      lock.lock();
      try {
        former.refused(bad);
      } finally {
        lock.unlock();
      }
      return refused(bad);
    }
    InboxRefusedException refusal;
    lock.lock();
    try {
      if (closedWhy != null) {
        refusal = Refusals.closed(OptionalLong.of(sub.lane), closedWhy, closedCause);
        former.refused(refusal);
      } else {
        long now = clock.nanoTime();
        boolean wasEmpty = former.isEmpty();
        refusal = former.admit(sub, now);
        // An empty inbox's closer waits without a deadline: it must learn of the new one.
        if (refusal == null && closersWaiting > 0 && (wasEmpty || former.due(now) != null)) {
          wake.signalAll();
        }
      }
    } finally {
      lock.unlock();
    }
    return refusal == null ? sub.future.copy() : refused(refusal);
  }

  private CompletableFuture<SubmissionReceipt> refused(InboxRefusedException e) {
    tell(() -> listener.refused(e));
    return CompletableFuture.failedFuture(e);
  }

  /** Runs a listener call; a listener that throws is logged, never lets an epoch be lost. */
  private static void tell(Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      LOG.warn("inbox listener failed", e);
    }
  }

  /**
   * Closes an epoch if one is due now, without waiting; null if none is (or the inbox is closed).
   */
  public ClosedEpoch pollEpoch() {
    EpochFormer.Formed formed;
    long now;
    lock.lock();
    try {
      if (closedWhy != null) {
        return null;
      }
      now = clock.nanoTime();
      formed = former.close(now);
    } finally {
      lock.unlock();
    }
    return formed == null ? null : build(formed, now);
  }

  /**
   * Waits until an epoch is due, up to {@code maxWait}, and closes it; null when none became due in
   * time or the inbox is closed. For the one closer thread.
   *
   * @throws InterruptedException if interrupted while waiting
   */
  public ClosedEpoch awaitEpoch(Duration maxWait) throws InterruptedException {
    long left = saturatedNanos(maxWait);
    EpochFormer.Formed formed;
    long now;
    lock.lock();
    try {
      while (true) {
        if (closedWhy != null) {
          return null;
        }
        now = clock.nanoTime();
        formed = former.close(now);
        if (formed != null) {
          break;
        }
        if (left <= 0) {
          return null;
        }
        long wait = Math.min(former.nanosUntilDue(now), left);
        closersWaiting++;
        try {
          left -= wait - wake.awaitNanos(wait);
        } finally {
          closersWaiting--;
        }
      }
    } finally {
      lock.unlock();
    }
    return build(formed, now);
  }

  private static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }

  private ClosedEpoch build(EpochFormer.Formed formed, long now) {
    List<Txn> txns = new ArrayList<>(formed.txns());
    for (Submission s : formed.submissions()) {
      txns.addAll(s.txns());
    }
    ClosedEpoch epoch =
        new ClosedEpoch(
            this,
            formed.sequence(),
            formed.reason(),
            EpochBatch.auto(clock.wallMillis(), txns),
            formed.bytes(),
            formed.submissions(),
            now);
    tell(
        () ->
            listener.epochClosed(
                formed.reason(), formed.txns(), formed.bytes(), formed.submissions().size()));
    return epoch;
  }

  /** Called by {@link ClosedEpoch} once its outcome is reported. */
  void epochDone(ClosedEpoch epoch, boolean sequenced) {
    long now;
    lock.lock();
    try {
      now = clock.nanoTime();
      former.epochDone(sequenced);
      // A slot opened: pending submissions may be due now, or get a deadline again.
      if (closersWaiting > 0 && !former.isEmpty()) {
        wake.signalAll();
      }
    } finally {
      lock.unlock();
    }
    tell(() -> listener.epochDone(sequenced, now - epoch.closedNanos()));
  }

  /**
   * Makes a waiting closer look again: after a test moved its clock. Production code has no need.
   */
  public void poke() {
    lock.lock();
    try {
      wake.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Closes the inbox, e.g. when this node stops leading: pending submissions fail, and later ones
   * are refused, with {@link RefusalReason#CLOSED} and {@code why}; a waiting closer returns null.
   * Epochs already closed still take their outcome. Idempotent: the first reason stays.
   */
  public void close(String why, Throwable cause) {
    Objects.requireNonNull(why, "why");
    List<Submission> pending;
    lock.lock();
    try {
      if (closedWhy != null) {
        return;
      }
      closedWhy = why;
      closedCause = cause;
      pending = former.drainAll();
      wake.signalAll();
    } finally {
      lock.unlock();
    }
    for (Submission s : pending) {
      s.future.completeExceptionally(
          Refusals.closed(OptionalLong.of(s.lane), why + " before its epoch closed", cause));
    }
  }

  public boolean isClosed() {
    lock.lock();
    try {
      return closedWhy != null;
    } finally {
      lock.unlock();
    }
  }

  /** Closed epochs whose outcome has not been reported. */
  public int inFlight() {
    lock.lock();
    try {
      return former.inFlight();
    } finally {
      lock.unlock();
    }
  }

  /** A snapshot of the inbox's numbers. */
  public InboxStats stats() {
    lock.lock();
    try {
      return former.stats();
    } finally {
      lock.unlock();
    }
  }
}
