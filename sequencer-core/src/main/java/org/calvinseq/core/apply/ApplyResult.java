package org.calvinseq.core.apply;

/**
 * What applying one log entry did. The Raft adapter turns it into the proposer's reply.
 *
 * @param kind the outcome
 * @param index the Raft index of the entry
 * @param epoch the epoch the batch got (APPLIED, GAP), or the epoch it named (STALE, OUT_OF_RANGE);
 *     -1 otherwise
 * @param epochSystemMs the epoch's deterministic time (APPLIED, GAP); -1 otherwise
 * @param txnCount txns in the batch, or acks in an ack entry
 * @param expectedEpoch the epoch the state machine expected (GAP, STALE, OUT_OF_RANGE); -1
 *     otherwise
 * @param detail the decode error for DECODE_ERROR, the reason for OUT_OF_RANGE, for CLUSTER_INIT
 *     how the entry differs from this node's settings (null when they agree); null otherwise
 */
public record ApplyResult(
    Kind kind,
    long index,
    long epoch,
    long epochSystemMs,
    int txnCount,
    long expectedEpoch,
    String detail) {

  public enum Kind {
    /** A batch became the next epoch. */
    APPLIED,
    /** A batch named an epoch above the expected one: applied, the epochs between recorded. */
    GAP,
    /** A batch named an epoch below the expected one: not applied. */
    STALE,
    /** An ack entry was applied. */
    ACKS,
    /** The index was at or below the last applied one (a restart re-applying): nothing done. */
    ALREADY_APPLIED,
    /** The entry did not decode: counted and skipped on every replica alike. */
    DECODE_ERROR,
    /**
     * A batch named an epoch too far above the expected one (more than {@code
     * WireFormat.MAX_EPOCH_GAP}) or above {@code WireFormat.MAX_EPOCH}: not applied, takes no
     * epoch, skipped on every replica alike.
     */
    OUT_OF_RANGE,
    /**
     * A cluster-init entry: it takes no epoch. {@code detail} is null when the recorded settings
     * are this node's, else says what differs: the node must then stop applying (its routing
     * disagrees with the cluster's). Last, because receipts carry the ordinal.
     */
    CLUSTER_INIT
  }

  static ApplyResult applied(Kind kind, long index, long epoch, long ms, int txns, long expected) {
    return new ApplyResult(kind, index, epoch, ms, txns, expected, null);
  }

  static ApplyResult of(Kind kind, long index) {
    return new ApplyResult(kind, index, -1, -1, 0, -1, null);
  }

  /** True when the entry consumed an epoch. */
  public boolean sequenced() {
    return kind == Kind.APPLIED || kind == Kind.GAP;
  }
}
