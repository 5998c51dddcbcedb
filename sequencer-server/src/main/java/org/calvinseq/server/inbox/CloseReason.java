package org.calvinseq.server.inbox;

/** Why the {@link LeaderInbox} closed an epoch when it did. */
public enum CloseReason {
  /**
   * Fewer than {@link InboxSettings#eagerInFlight()} epochs were in flight and something was
   * pending: the group-commit case, small fast epochs under light load.
   */
  SLOT,
  /** The oldest pending submission had waited {@link InboxSettings#epochInterval()}. */
  INTERVAL,
  /** The pending txns filled an epoch to {@link InboxSettings#maxTxnsPerEpoch()}. */
  TXNS,
  /** The pending bytes filled an epoch to {@link InboxSettings#maxBytesPerEpoch()}. */
  BYTES;

  /** The lower-case name, for metric tags. */
  public String tag() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
