package org.calvinseq.server.inbox;

/**
 * Why the {@link LeaderInbox} refused a submission. Bad input ({@link #retryable()} false) is
 * refused before the inbox and will be refused again; the others are about load or leadership and
 * come with a retry-after hint.
 */
public enum RefusalReason {
  /** The submission has no txns. */
  EMPTY(false),
  /** The submission has more txns than one epoch may hold. */
  TOO_MANY_TXNS(false),
  /** A txn breaks a per-txn limit of {@link org.calvinseq.core.codec.ProposalLimits}. */
  INVALID_TXN(false),
  /** A txn, or the whole submission, encodes larger than one epoch may be. */
  TOO_LARGE(false),
  /** The submission's tenant would hold more txns than its share of the inbox. */
  TENANT_SHARE_TXNS(true),
  /** The submission's tenant would hold more bytes than its share of the inbox. */
  TENANT_SHARE_BYTES(true),
  /** The inbox would hold more txns than its capacity. */
  INBOX_FULL_TXNS(true),
  /** The inbox would hold more bytes than its capacity. */
  INBOX_FULL_BYTES(true),
  /**
   * The inbox would reach its reserve, which is kept for light tenants, and the tenant is not
   * light.
   */
  RESERVED(true),
  /** The inbox is closed (the node stopped leading or is shutting down): try the new leader. */
  CLOSED(true);

  private final boolean retryable;

  RefusalReason(boolean retryable) {
    this.retryable = retryable;
  }

  /** False for bad input, which is refused again however often it is sent. */
  public boolean retryable() {
    return retryable;
  }

  /** The lower-case name, for metric tags. */
  public String tag() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
