package org.calvinseq.core.completion;

/**
 * What a node can say about a txn's completion acks. The code is its position on the wire
 * (docs/wire-format.md, section 14).
 */
public enum CompletionOutcome {
  /**
   * The answer does not say (a node that predates outcomes, or a code this reader does not know).
   */
  UNKNOWN,
  /** Every participant acked it; the state is still kept. */
  COMPLETED,
  /** Some participants acked it, not all yet; the state is still kept. */
  PENDING,
  /**
   * No ack for it has been applied: it is above the eviction watermark and not tracked, so no state
   * of it was ever kept.
   */
  NOT_ACKED,
  /**
   * Its id is at or below the eviction watermark and no state is kept: it completed, or was only
   * partly acked when its state expired, or got no ack before eviction passed it. Which one is no
   * longer known; the state was gone by the watermark's epoch time.
   */
  EVICTED;

  private static final CompletionOutcome[] VALUES = values();

  /**
   * The outcome of wire code {@code code}; {@link #UNKNOWN} for codes this reader does not know.
   */
  public static CompletionOutcome ofCode(int code) {
    return code >= 0 && code < VALUES.length ? VALUES[code] : UNKNOWN;
  }

  public int code() {
    return ordinal();
  }
}
