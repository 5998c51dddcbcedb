package org.calvinseq.client;

import org.calvinseq.core.model.TxnId;

/**
 * The cluster no longer keeps the completion state of a txn: its epoch is at or below the nodes'
 * eviction watermark. It completed, or was only partly acked when its state expired (the retention
 * is {@code completion-retention} of epoch time, at most {@code completion-max-entries} txns), or
 * had no ack before eviction passed it; which one is no longer known. Waiting longer cannot help.
 */
public final class CompletionStateEvictedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final TxnId txnId;
  private final long evictedThroughEpoch;
  private final long evictedAtMs;

  public CompletionStateEvictedException(TxnId txnId, long evictedThroughEpoch, long evictedAtMs) {
    super(
        "txn "
            + txnId
            + ": completion state no longer kept (completion states through epoch "
            + evictedThroughEpoch
            + " were evicted, the latest at epoch time "
            + evictedAtMs
            + " ms); it completed, or expired before every participant acked, or was never acked;"
            + " which is no longer known");
    this.txnId = txnId;
    this.evictedThroughEpoch = evictedThroughEpoch;
    this.evictedAtMs = evictedAtMs;
  }

  public TxnId txnId() {
    return txnId;
  }

  /** The eviction watermark: the highest epoch of any txn whose state was evicted. */
  public long evictedThroughEpoch() {
    return evictedThroughEpoch;
  }

  /** The epoch time (epochSystemMs) of the node's latest eviction, by which the state was gone. */
  public long evictedAtMs() {
    return evictedAtMs;
  }
}
