package org.calvinseq.core.codec;

import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Txn;

/**
 * Limits a leader enforces on proposals before they reach the log. A proposal over a limit is
 * rejected with a message that says which limit and by how much.
 *
 * @param maxBatchBytes the most encoded bytes in one entry
 * @param maxTxnsPerBatch the most txns in one batch
 * @param maxKeysPerTxn the most keys (read plus write set) in one txn
 * @param maxPayloadBytes the most payload bytes in one txn
 */
public record ProposalLimits(
    int maxBatchBytes, int maxTxnsPerBatch, int maxKeysPerTxn, int maxPayloadBytes) {

  public static final ProposalLimits DEFAULTS =
      new ProposalLimits(4 * 1024 * 1024, 10_000, 1_024, 1024 * 1024);

  public ProposalLimits {
    if (maxBatchBytes < 64 || maxTxnsPerBatch < 1 || maxKeysPerTxn < 1 || maxPayloadBytes < 0) {
      throw new IllegalArgumentException(
          "limits must be positive (maxBatchBytes >= 64): " + maxBatchBytes);
    }
  }

  /** Why {@code batch}, encoded in {@code encodedBytes}, is refused; null when it is acceptable. */
  public String violation(EpochBatch batch, int encodedBytes) {
    if (encodedBytes > maxBatchBytes) {
      return "batch is " + encodedBytes + " bytes, over the limit of " + maxBatchBytes;
    }
    if (batch.hasEpoch() && batch.epoch() == Long.MAX_VALUE) {
      return "batch names epoch " + Long.MAX_VALUE + ", after which no epoch could follow";
    }
    if (batch.txns().size() > maxTxnsPerBatch) {
      return "batch has " + batch.txns().size() + " txns, over the limit of " + maxTxnsPerBatch;
    }
    for (int i = 0; i < batch.txns().size(); i++) {
      Txn t = batch.txns().get(i);
      if (t.keyCount() > maxKeysPerTxn) {
        return "txns[" + i + "] has " + t.keyCount() + " keys, over the limit of " + maxKeysPerTxn;
      }
      if (t.keyCount() == 0) {
        return "txns[" + i + "] has no keys: a txn must read or write at least one key";
      }
      if (t.payloadLength() > maxPayloadBytes) {
        return "txns["
            + i
            + "] payload is "
            + t.payloadLength()
            + " bytes, over the limit of "
            + maxPayloadBytes;
      }
    }
    return null;
  }
}
