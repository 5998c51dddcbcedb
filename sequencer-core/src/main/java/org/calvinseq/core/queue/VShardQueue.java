package org.calvinseq.core.queue;

import java.util.concurrent.atomic.AtomicLong;
import org.calvinseq.core.model.SequencedTxn;
import org.jctools.queues.SpscArrayQueue;

/**
 * The bounded single-producer single-consumer queue of one vshard on one node, plus its
 * <em>behind</em> state.
 *
 * <p>The apply thread is the only producer. When an offer finds the queue full or closed, the
 * vshard is behind: that txn and every later one are not offered live, which keeps the order, until
 * the consumer has replayed what it missed and the resume handshake succeeds:
 *
 * <ol>
 *   <li>the consumer drains the queue, replays up to some committed epoch {@code R}, and calls
 *       {@link #requestResume(long) requestResume(R)};
 *   <li>at the next txn for this vshard, the apply thread resumes live delivery if every txn it
 *       skipped had an epoch {@code <= R} (so replay covered it); otherwise it refuses, and the
 *       consumer replays again from where it stopped.
 * </ol>
 *
 * The decision is made by the single apply thread on values it owns, so neither side ever waits.
 */
public final class VShardQueue {
  static final long NO_RESUME = Long.MIN_VALUE;

  private final int vshard;
  private final SpscArrayQueue<SequencedTxn> queue;
  private volatile boolean closed;
  private volatile boolean behind;

  /** Highest epoch the apply thread skipped for this vshard (only rises). */
  private final AtomicLong lastSkippedEpoch = new AtomicLong(-1);

  /** Epoch up to which the consumer replayed and asks to resume after, or NO_RESUME. */
  private final AtomicLong resumeAfter = new AtomicLong(NO_RESUME);

  VShardQueue(int vshard, int capacity, boolean startBehind) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be >= 1: " + capacity);
    }
    this.vshard = vshard;
    this.queue = new SpscArrayQueue<>(Math.max(capacity, 2));
    this.behind = startBehind;
  }

  public int vshard() {
    return vshard;
  }

  /**
   * The real bound: the requested capacity rounded up to a power of two, and at least 4 (1 gives 4,
   * 5 gives 8, 1000 gives 1024).
   */
  public int capacity() {
    return queue.capacity();
  }

  public int size() {
    return queue.size();
  }

  public boolean isBehind() {
    return behind;
  }

  public boolean isClosed() {
    return closed;
  }

  /** True while a resume request waits for the apply thread's decision. */
  public boolean resumePending() {
    return resumeAfter.get() != NO_RESUME;
  }

  // ---- producer side (apply thread) ----

  /**
   * Apply thread only. Delivers {@code txn} live if the vshard is not behind; returns {@link
   * OfferResult#BEHIND} when it was skipped because the vshard is behind (the caller counts it), or
   * the offer result otherwise.
   */
  public OfferResult deliver(SequencedTxn txn) {
    if (behind && !tryResume()) {
      lastSkippedEpoch.accumulateAndGet(txn.epoch(), Math::max);
      return OfferResult.BEHIND;
    }
    OfferResult r = offer(txn);
    if (r != OfferResult.ACCEPTED) {
      resumeAfter.set(NO_RESUME);
      lastSkippedEpoch.accumulateAndGet(txn.epoch(), Math::max);
      behind = true;
    }
    return r;
  }

  private boolean tryResume() {
    long r = resumeAfter.get();
    if (r == NO_RESUME) {
      return false;
    }
    if (lastSkippedEpoch.get() <= r) {
      behind = false;
      resumeAfter.set(NO_RESUME);
      return true;
    }
    resumeAfter.set(NO_RESUME); // refused: the consumer replays again
    return false;
  }

  OfferResult offer(SequencedTxn txn) {
    if (closed) {
      return OfferResult.CLOSED;
    }
    return queue.offer(txn) ? OfferResult.ACCEPTED : OfferResult.FULL;
  }

  /** Records that txns up to {@code epoch} may have been missed (used at subscription). */
  void markMissedThrough(long epoch) {
    lastSkippedEpoch.accumulateAndGet(epoch, Math::max);
  }

  /**
   * The state jumped (a snapshot was restored): everything up to {@code epoch} may have been
   * missed, so the consumer must catch up through replay before it gets live txns again.
   */
  void fallBehindThrough(long epoch) {
    markMissedThrough(epoch);
    resumeAfter.set(NO_RESUME);
    behind = true;
  }

  // ---- consumer side ----

  public SequencedTxn poll() {
    return queue.poll();
  }

  /** Asks to return to live delivery after having replayed every epoch up to {@code epoch}. */
  public void requestResume(long epoch) {
    tryRequestResume(epoch);
  }

  /**
   * Like {@link #requestResume}, but asks nothing and returns false when the apply thread has
   * already skipped a txn newer than {@code epoch}: that request could only be refused, and only at
   * the vshard's next txn, which may never come. The consumer replays on instead.
   */
  boolean tryRequestResume(long epoch) {
    if (!behind) {
      return true;
    }
    if (lastSkippedEpoch.get() > epoch) {
      return false;
    }
    resumeAfter.set(epoch);
    if (lastSkippedEpoch.get() > epoch) {
      // Skipped meanwhile: withdraw, unless the apply thread already decided (then it refused).
      resumeAfter.compareAndSet(epoch, NO_RESUME);
      return false;
    }
    return true;
  }

  /** Closes the queue; later offers return {@link OfferResult#CLOSED}. */
  public void close() {
    closed = true;
  }
}
