package org.calvinseq.core.queue;

import java.util.Iterator;
import java.util.function.Consumer;
import org.calvinseq.core.metrics.SequencerMetrics;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.replay.ReplaySource;

/**
 * A storage engine's view of one vshard: every txn of the vshard exactly once, in (epoch, position)
 * order, whether it arrives live from the queue or through replay after the vshard fell behind.
 *
 * <p>Single-threaded: one scheduler thread polls it. {@link #poll()} never blocks; it returns null
 * when nothing is available yet.
 *
 * <p>How it stays exact: it remembers the last txn it handed out and drops anything at or before it
 * (a restarted node re-applies its log tail, and a replay may overlap live delivery). When the
 * queue is behind and empty, it replays from its last txn up to the current committed epoch {@code
 * R}, then asks the queue to resume after {@code R}; if the apply thread skipped something newer
 * meanwhile, the queue refuses and the next poll replays again from where it stopped.
 */
public final class VShardConsumer implements AutoCloseable {
  private final Subscriptions subscriptions;
  private final VShardQueue queue;
  private final ReplaySource replay;
  private final SequencerMetrics metrics;
  private long lastEpoch;
  private int lastPosition;
  private Iterator<SequencedTxn> catchUp;
  private long catchUpTo;

  /**
   * Subscribes to {@code vshard} for a consumer that has already processed every txn through epoch
   * {@code processedThroughEpoch} (-1 when it has processed nothing).
   */
  public VShardConsumer(
      Subscriptions subscriptions,
      int vshard,
      long processedThroughEpoch,
      ReplaySource replay,
      SequencerMetrics metrics) {
    this(subscriptions, vshard, processedThroughEpoch, Integer.MAX_VALUE, replay, metrics);
  }

  /**
   * Subscribes to {@code vshard} for a consumer whose last processed txn is {@code
   * processedThrough} (null when it has processed nothing). Unlike an epoch, this can stop in the
   * middle of an epoch: an engine that restarts after executing part of an epoch gets exactly the
   * rest of it.
   */
  public VShardConsumer(
      Subscriptions subscriptions,
      int vshard,
      TxnId processedThrough,
      ReplaySource replay,
      SequencerMetrics metrics) {
    this(
        subscriptions,
        vshard,
        processedThrough == null ? -1 : processedThrough.epoch(),
        processedThrough == null ? Integer.MAX_VALUE : processedThrough.position(),
        replay,
        metrics);
  }

  private VShardConsumer(
      Subscriptions subscriptions,
      int vshard,
      long lastEpoch,
      int lastPosition,
      ReplaySource replay,
      SequencerMetrics metrics) {
    this.subscriptions = subscriptions;
    this.replay = replay;
    this.metrics = java.util.Objects.requireNonNull(metrics, "metrics");
    this.lastEpoch = lastEpoch;
    this.lastPosition = lastPosition;
    this.queue = subscriptions.subscribe(vshard);
    // A consumer that has processed every epoch the apply thread may have handled before it saw
    // the queue has nothing to replay: ask to resume now, so that the vshard's next txn arrives
    // live even if it comes before the first poll. Refused (no request made) when it did miss
    // something; the first poll then replays. A consumer stopped inside an epoch has completed
    // only the epoch before.
    long completedThrough = lastPosition == Integer.MAX_VALUE ? lastEpoch : lastEpoch - 1;
    queue.tryRequestResume(completedThrough);
  }

  public int vshard() {
    return queue.vshard();
  }

  /**
   * True while this consumer still has to catch up through replay. A consumer that has replayed up
   * to the current committed epoch and waits for the apply thread to put it back on live delivery
   * (at the vshard's next txn) is not behind.
   */
  public boolean isBehind() {
    return queue.isBehind() && !queue.resumePending();
  }

  /** The last epoch handed out (or the starting point), and its position. */
  public long lastEpoch() {
    return lastEpoch;
  }

  public int lastPosition() {
    return lastPosition;
  }

  /**
   * The next txn, or null when none is available now.
   *
   * @throws org.calvinseq.core.replay.ReplayUnavailableException when the txns this consumer missed
   *     are no longer retained; the vshard must be rebuilt from elsewhere
   */
  public SequencedTxn poll() {
    while (true) {
      if (catchUp != null) {
        while (catchUp.hasNext()) {
          SequencedTxn t = catchUp.next();
          if (accept(t)) {
            metrics.replayDelivered(1);
            return t;
          }
        }
        catchUp = null;
        if (!queue.tryRequestResume(catchUpTo)) {
          // A newer txn was skipped while we replayed: replay on now if it is committed, rather
          // than wait for a refusal that only the vshard's next txn would bring.
          if (replay.currentCommittedEpoch() > catchUpTo) {
            continue;
          }
          return null;
        }
      }
      SequencedTxn t = queue.poll();
      if (t != null) {
        if (accept(t)) {
          return t;
        }
        continue;
      }
      if (!queue.isBehind() || queue.resumePending()) {
        return null;
      }
      // Behind and drained: everything after our last txn up to R comes from replay.
      catchUpTo = replay.currentCommittedEpoch();
      long from =
          lastEpoch < 0 ? 0 : (lastPosition == Integer.MAX_VALUE ? lastEpoch + 1 : lastEpoch);
      if (catchUpTo < from) {
        queue.tryRequestResume(catchUpTo); // if refused, the next poll replays what is committed
        return null;
      }
      catchUp = replay.replay(queue.vshard(), from, catchUpTo);
    }
  }

  /** Hands up to {@code max} available txns to {@code sink}; returns how many. */
  public int drain(Consumer<SequencedTxn> sink, int max) {
    int n = 0;
    SequencedTxn t;
    while (n < max && (t = poll()) != null) {
      sink.accept(t);
      n++;
    }
    return n;
  }

  private boolean accept(SequencedTxn t) {
    if (t.epoch() < lastEpoch || (t.epoch() == lastEpoch && t.position() <= lastPosition)) {
      return false;
    }
    lastEpoch = t.epoch();
    lastPosition = t.position();
    return true;
  }

  @Override
  public void close() {
    subscriptions.unsubscribe(queue);
  }
}
