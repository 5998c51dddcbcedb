package org.calvinseq.core.protocol;

import java.util.ArrayList;
import java.util.List;
import org.calvinseq.core.apply.ApplyResult;
import org.calvinseq.core.model.TxnId;

/**
 * What a proposer learns about its committed entry.
 *
 * @param outcome APPLIED, GAP, STALE or OUT_OF_RANGE for a batch; ACKS for an ack entry;
 *     CLUSTER_INIT for a cluster-init entry; DECODE_ERROR for an entry that did not decode
 * @param index the Raft log index
 * @param epoch the epoch the batch got (or, when stale, the one it named)
 * @param epochSystemMs the epoch's deterministic time, -1 when stale
 * @param txnCount txns (or acks) in the entry
 * @param expectedEpoch the epoch the state machine expected, for GAP and STALE; -1 otherwise
 */
public record BatchReceipt(
    ApplyResult.Kind outcome,
    long index,
    long epoch,
    long epochSystemMs,
    int txnCount,
    long expectedEpoch) {

  /** The receipt of {@code r}; the fields an outcome does not have are -1 (0 for the count). */
  public static BatchReceipt of(ApplyResult r) {
    if (r instanceof ApplyResult.Sequenced s) {
      return new BatchReceipt(
          s.kind(), s.index(), s.epoch(), s.epochSystemMs(), s.txnCount(), s.expectedEpoch());
    }
    if (r instanceof ApplyResult.Stale s) {
      return new BatchReceipt(s.kind(), s.index(), s.epoch(), -1, s.txnCount(), s.expectedEpoch());
    }
    if (r instanceof ApplyResult.OutOfRange o) {
      return new BatchReceipt(o.kind(), o.index(), o.epoch(), -1, o.txnCount(), o.expectedEpoch());
    }
    if (r instanceof ApplyResult.Acks a) {
      return new BatchReceipt(a.kind(), a.index(), -1, -1, a.ackCount(), -1);
    }
    return new BatchReceipt(r.kind(), r.index(), -1, -1, 0, -1);
  }

  /** True when the batch became an epoch. */
  public boolean sequenced() {
    return outcome == ApplyResult.Kind.APPLIED || outcome == ApplyResult.Kind.GAP;
  }

  public boolean stale() {
    return outcome == ApplyResult.Kind.STALE;
  }

  /** The id of the txn at {@code position} of this batch. */
  public TxnId txnId(int position) {
    if (!sequenced()) {
      throw new IllegalStateException("batch was not sequenced: " + outcome);
    }
    if (position < 0 || position >= txnCount) {
      throw new IndexOutOfBoundsException(position);
    }
    return new TxnId(epoch, position);
  }

  /** The ids of every txn of the batch, in order. */
  public List<TxnId> txnIds() {
    List<TxnId> ids = new ArrayList<>(txnCount);
    for (int i = 0; i < txnCount; i++) {
      ids.add(txnId(i));
    }
    return ids;
  }
}
