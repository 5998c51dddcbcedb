package org.calvinseq.server.inbox;

import java.util.ArrayList;
import java.util.List;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.protocol.BatchReceipt;

/**
 * What a submitter learns once its epoch applied: the epoch's receipt and where its txns are in it.
 * Its txns are contiguous and in submission order: txn {@code i} is at {@code firstPosition + i}.
 *
 * @param epoch the receipt of the epoch's entry (epoch, log index, {@code epochSystemMs})
 * @param firstPosition the position of the submission's first txn in the epoch
 * @param txnCount the submission's txns
 */
public record SubmissionReceipt(BatchReceipt epoch, int firstPosition, int txnCount) {
  public SubmissionReceipt {
    if (!epoch.sequenced()) {
      throw new IllegalArgumentException("epoch was not sequenced: " + epoch.outcome());
    }
    if (firstPosition < 0 || txnCount < 1 || firstPosition + txnCount > epoch.txnCount()) {
      throw new IllegalArgumentException(
          "txns ["
              + firstPosition
              + ", "
              + (firstPosition + txnCount)
              + ") outside the epoch's "
              + epoch.txnCount());
    }
  }

  /** The id of the submission's txn {@code i}. */
  public TxnId txnId(int i) {
    if (i < 0 || i >= txnCount) {
      throw new IndexOutOfBoundsException(i);
    }
    return new TxnId(epoch.epoch(), firstPosition + i);
  }

  /** The ids of the submission's txns, in submission order. */
  public List<TxnId> txnIds() {
    List<TxnId> ids = new ArrayList<>(txnCount);
    for (int i = 0; i < txnCount; i++) {
      ids.add(txnId(i));
    }
    return ids;
  }
}
