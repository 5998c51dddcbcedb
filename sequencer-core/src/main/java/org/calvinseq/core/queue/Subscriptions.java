package org.calvinseq.core.queue;

import java.util.BitSet;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.LongSupplier;

/**
 * The per-vshard queues of one node. Queues exist only for vshards this node hosts and that have a
 * subscriber; the apply thread reads the slots without locking.
 */
public final class Subscriptions {
  private final int vshardCount;
  private final BitSet hosted;
  private final int queueCapacity;
  private final AtomicReferenceArray<VShardQueue> slots;
  private final LongSupplier missedThroughEpoch;

  /**
   * @param hosted the vshards this node hosts, or null for all of them
   * @param missedThroughEpoch read just after a queue is published: the newest epoch whose fan-out
   *     may not have seen it (the state machine's batch in flight, else its last applied epoch)
   */
  public Subscriptions(
      int vshardCount, BitSet hosted, int queueCapacity, LongSupplier missedThroughEpoch) {
    if (queueCapacity < 1) {
      throw new IllegalArgumentException("queueCapacity must be >= 1: " + queueCapacity);
    }
    this.vshardCount = vshardCount;
    this.hosted = hosted == null ? null : (BitSet) hosted.clone();
    this.queueCapacity = queueCapacity;
    this.slots = new AtomicReferenceArray<>(vshardCount);
    this.missedThroughEpoch = missedThroughEpoch;
  }

  public int vshardCount() {
    return vshardCount;
  }

  public boolean hosts(int vshard) {
    return vshard >= 0 && vshard < vshardCount && (hosted == null || hosted.get(vshard));
  }

  /**
   * Opens the queue of {@code vshard} for a consumer that has processed every txn up to and
   * including epoch {@code processedThroughEpoch} (-1 for none). The queue starts behind: the
   * consumer first replays from there, then joins live delivery through the resume handshake. A
   * previous queue of the vshard is closed.
   */
  public VShardQueue subscribe(int vshard) {
    if (!hosts(vshard)) {
      throw new IllegalArgumentException("vshard " + vshard + " is not hosted on this node");
    }
    VShardQueue q = new VShardQueue(vshard, queueCapacity, true);
    VShardQueue old = slots.getAndSet(vshard, q);
    if (old != null) {
      old.close();
    }
    // Anything the apply thread handled before it saw the slot, up to the batch in progress now,
    // may have been missed; the consumer's replay must cover it before it may resume. Between
    // batches that is exactly the last applied epoch, so a consumer that is caught up resumes at
    // once instead of being refused until a batch it must then replay.
    q.markMissedThrough(missedThroughEpoch.getAsLong());
    return q;
  }

  /** Puts every queue behind through {@code epoch}: the state jumped there (snapshot restore). */
  public void fallBehindThrough(long epoch) {
    for (int i = 0; i < vshardCount; i++) {
      VShardQueue q = slots.get(i);
      if (q != null) {
        q.fallBehindThrough(epoch);
      }
    }
  }

  /** Removes {@code q} if it is still the vshard's queue, and closes it. */
  public void unsubscribe(VShardQueue q) {
    slots.compareAndSet(q.vshard(), q, null);
    q.close();
  }

  /** The queue of {@code vshard}, or null. Apply thread's read. */
  public VShardQueue queue(int vshard) {
    return slots.get(vshard);
  }

  /** Number of queues that are behind and have not yet caught up (no resume pending). */
  public int behindCount() {
    int n = 0;
    for (int i = 0; i < vshardCount; i++) {
      VShardQueue q = slots.get(i);
      if (q != null && q.isBehind() && !q.resumePending()) {
        n++;
      }
    }
    return n;
  }

  /** Sum and max of queue depths, as {sum, max}. */
  public long[] depth() {
    long sum = 0;
    long max = 0;
    for (int i = 0; i < vshardCount; i++) {
      VShardQueue q = slots.get(i);
      if (q != null) {
        int s = q.size();
        sum += s;
        max = Math.max(max, s);
      }
    }
    return new long[] {sum, max};
  }
}
