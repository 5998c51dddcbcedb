package org.calvinseq.core.queue;

/** Outcome of a non-blocking delivery to a vshard queue. */
public enum OfferResult {
  /** The txn is in the queue. */
  ACCEPTED,
  /** The queue was full: the txn was not queued and the vshard is now behind. */
  FULL,
  /** The queue was closed: the txn was not queued and the vshard is now behind. */
  CLOSED,
  /**
   * The vshard was already behind (and could not resume yet): the txn was not offered, so that
   * later txns do not overtake the ones its consumer must replay.
   */
  BEHIND;

  /** True when this outcome put the vshard behind: {@link #FULL} or {@link #CLOSED}. */
  public boolean fellBehind() {
    return this == FULL || this == CLOSED;
  }
}
