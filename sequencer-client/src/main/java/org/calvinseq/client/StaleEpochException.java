package org.calvinseq.client;

import org.calvinseq.core.protocol.BatchReceipt;

/**
 * A proposed batch named an epoch the cluster had already passed: it was committed to the log but
 * not applied (epochs never move backwards). The receipt says which epoch was expected instead.
 */
public final class StaleEpochException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient BatchReceipt receipt;

  public StaleEpochException(BatchReceipt receipt) {
    super(
        "stale epoch: the batch named epoch "
            + receipt.epoch()
            + " but the cluster is at epoch "
            + receipt.expectedEpoch()
            + "; it was not applied");
    this.receipt = receipt;
  }

  public BatchReceipt receipt() {
    return receipt;
  }

  /** The epoch the batch named. */
  public long namedEpoch() {
    return receipt.epoch();
  }

  /** The epoch the cluster expected next. */
  public long expectedEpoch() {
    return receipt.expectedEpoch();
  }
}
