package org.calvinseq.server.events;

import org.calvinseq.core.apply.ApplyListener;

/**
 * The apply path's events plus those only the Ratis adapter knows: leader changes and snapshots.
 * The same duties as {@link ApplyListener} hold: return at once, never throw.
 */
public interface NodeEventListener extends ApplyListener {
  /** The listener that ignores everything. */
  NodeEventListener NONE = new NodeEventListener() {};

  /**
   * This node learned that {@code leaderId} (empty when none) leads in {@code term}; {@code
   * appliedEpoch} and {@code appliedIndex} are where this node's state machine stood.
   */
  default void onLeaderChange(String leaderId, long term, long appliedEpoch, long appliedIndex) {}

  /** A snapshot of {@code bytes} bytes was written at log {@code index} (epoch {@code epoch}). */
  default void onSnapshotTaken(long index, long term, long epoch, long bytes) {}

  /** A snapshot from the leader, at log {@code index} (epoch {@code epoch}), was installed. */
  default void onSnapshotInstalled(long index, long term, long epoch) {}
}
