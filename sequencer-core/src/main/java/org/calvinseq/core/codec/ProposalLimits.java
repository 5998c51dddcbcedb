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
 * @param maxEpochGap how far above the next epoch a batch may name an epoch: at most {@link
 *     WireFormat#MAX_EPOCH_GAP}, the bound every replica enforces when it applies
 */
public record ProposalLimits(
    int maxBatchBytes,
    int maxTxnsPerBatch,
    int maxKeysPerTxn,
    int maxPayloadBytes,
    long maxEpochGap) {

  /** The default {@link #maxEpochGap}: a million epochs, far more than any retry needs. */
  public static final long DEFAULT_MAX_EPOCH_GAP = 1_000_000;

  /**
   * How far ahead of the leader's clock a batch's {@code proposerMs} may be. A proposer clock
   * further ahead would pull epoch time ahead of real time for everyone (the apply path moves it at
   * most {@link WireFormat#MAX_EPOCH_MS_STEP} per epoch, but a stream of such batches would add
   * up). Clocks behind are harmless: epoch time never goes back.
   */
  public static final long MAX_PROPOSER_MS_AHEAD = WireFormat.MAX_EPOCH_MS_STEP;

  public static final ProposalLimits DEFAULTS =
      new ProposalLimits(4 * 1024 * 1024, 10_000, 1_024, 1024 * 1024, DEFAULT_MAX_EPOCH_GAP);

  public ProposalLimits {
    if (maxBatchBytes < 64 || maxTxnsPerBatch < 1 || maxKeysPerTxn < 1 || maxPayloadBytes < 0) {
      throw new IllegalArgumentException(
          "limits must be positive (maxBatchBytes >= 64): " + maxBatchBytes);
    }
    if (maxEpochGap < 0 || maxEpochGap > WireFormat.MAX_EPOCH_GAP) {
      throw new IllegalArgumentException(
          "maxEpochGap must be in [0, "
              + WireFormat.MAX_EPOCH_GAP
              + "] (the protocol's bound): "
              + maxEpochGap);
    }
  }

  /** The four size limits, with the default {@link #maxEpochGap}. */
  public ProposalLimits(
      int maxBatchBytes, int maxTxnsPerBatch, int maxKeysPerTxn, int maxPayloadBytes) {
    this(maxBatchBytes, maxTxnsPerBatch, maxKeysPerTxn, maxPayloadBytes, DEFAULT_MAX_EPOCH_GAP);
  }

  /** These limits with {@code maxEpochGap} instead. */
  public ProposalLimits withMaxEpochGap(long maxEpochGap) {
    return new ProposalLimits(
        maxBatchBytes, maxTxnsPerBatch, maxKeysPerTxn, maxPayloadBytes, maxEpochGap);
  }

  /**
   * Why the leader refuses {@code batch}, encoded in {@code encodedBytes}, when the next epoch it
   * has applied is {@code nextEpoch} and its clock reads {@code nowMs}; null when it is acceptable.
   * The leader's {@code nextEpoch} may lag the log, never lead it, so a batch accepted here is
   * within {@link #maxEpochGap} (hence within {@link WireFormat#MAX_EPOCH_GAP}) when it applies.
   */
  public String violation(EpochBatch batch, int encodedBytes, long nextEpoch, long nowMs) {
    String problem = violation(batch, encodedBytes);
    if (problem != null) {
      return problem;
    }
    if (batch.hasEpoch() && batch.epoch() > nextEpoch && batch.epoch() - nextEpoch > maxEpochGap) {
      return "batch names epoch "
          + batch.epoch()
          + ", more than the limit of "
          + maxEpochGap
          + " (max-epoch-gap) above the next epoch "
          + nextEpoch;
    }
    long ms = batch.proposerMs();
    if (ms > nowMs && (ms - nowMs < 0 || ms - nowMs > MAX_PROPOSER_MS_AHEAD)) {
      return "batch's proposerMs "
          + ms
          + " is more than "
          + MAX_PROPOSER_MS_AHEAD
          + " ms ahead of the leader's clock ("
          + nowMs
          + "); check the proposer's clock";
    }
    return null;
  }

  /**
   * Why {@code batch}, encoded in {@code encodedBytes}, is refused whatever the log holds (sizes,
   * counts, an epoch beyond {@link WireFormat#MAX_EPOCH}); null when it is acceptable. A client can
   * check this before proposing; the leader checks {@link #violation(EpochBatch, int, long, long)}.
   */
  public String violation(EpochBatch batch, int encodedBytes) {
    if (encodedBytes > maxBatchBytes) {
      return "batch is " + encodedBytes + " bytes, over the limit of " + maxBatchBytes;
    }
    if (batch.hasEpoch() && batch.epoch() > WireFormat.MAX_EPOCH) {
      return "batch names epoch "
          + batch.epoch()
          + ", above the last epoch "
          + WireFormat.MAX_EPOCH
          + " (no epoch could follow it)";
    }
    if (batch.txns().size() > maxTxnsPerBatch) {
      return "batch has " + batch.txns().size() + " txns, over the limit of " + maxTxnsPerBatch;
    }
    for (int i = 0; i < batch.txns().size(); i++) {
      String problem = txnViolation(i, batch.txns().get(i));
      if (problem != null) {
        return problem;
      }
    }
    return null;
  }

  /**
   * Why the txn {@code t}, at index {@code i} of its batch, is refused on its own (too many keys,
   * none, too large a payload); null when it is acceptable.
   */
  public String txnViolation(int i, Txn t) {
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
    return null;
  }
}
