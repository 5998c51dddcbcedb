package org.calvinseq.server.events;

import java.util.Objects;
import org.calvinseq.core.apply.ApplyListener;
import org.calvinseq.core.queue.OfferResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the apply path's anomalies to the node's log (the core itself does no logging, see {@code
 * org.calvinseq.core}), then passes every event on to {@code next} (the event log, or nothing).
 * Gaps, out-of-range batches and undecodable entries at WARN; stale batches and full queues at
 * DEBUG, since a leader change or a slow engine makes them routine.
 */
public final class LoggingApplyListener implements ApplyListener {
  private static final Logger LOG = LoggerFactory.getLogger(LoggingApplyListener.class);

  private final ApplyListener next;

  public LoggingApplyListener(ApplyListener next) {
    this.next = Objects.requireNonNull(next, "next");
  }

  @Override
  public void onGap(long index, long fromEpoch, long toEpoch) {
    LOG.warn(
        "epoch gap at index {}: batch names epoch {}, expected {}", index, toEpoch + 1, fromEpoch);
    next.onGap(index, fromEpoch, toEpoch);
  }

  @Override
  public void onStale(long index, long epoch, long expected) {
    LOG.debug("stale batch at index {}: names epoch {}, expected {}", index, epoch, expected);
    next.onStale(index, epoch, expected);
  }

  @Override
  public void onDecodeError(long index, String message) {
    LOG.warn("skipping undecodable log entry at index {}: {}", index, message);
    next.onDecodeError(index, message);
  }

  @Override
  public void onEpochOutOfRange(long index, long epoch, long expected) {
    LOG.warn(
        "skipping out-of-range batch at index {}: names epoch {}, expected {}",
        index,
        epoch,
        expected);
    next.onEpochOutOfRange(index, epoch, expected);
  }

  @Override
  public void onVShardBehind(long index, int vshard, long epoch, OfferResult reason) {
    LOG.debug("vshard {} behind at epoch {} ({}): until it replays", vshard, epoch, reason);
    next.onVShardBehind(index, vshard, epoch, reason);
  }

  @Override
  public void onVShardCaughtUp(long index, int vshard, long epoch) {
    next.onVShardCaughtUp(index, vshard, epoch);
  }
}
