package org.calvinseq.server.inbox;

import java.util.ArrayList;
import java.util.List;
import org.calvinseq.core.model.NotSequenced;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.protocol.BatchReceipt;

/**
 * What a submitter learns once its epoch applied: the epoch's receipt and where its txns are in it.
 * Its txns are contiguous and in submission order: txn {@code i} is at {@code firstPosition + i} of
 * the epoch. A txn the apply path recognised as a retry (docs/wire-format.md, section 9a) was not
 * sequenced there: {@link #txnId} gives the id it got the first time, as the epoch's receipt says.
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

  /**
   * The id of the submission's txn {@code i}: {@code TxnId(epoch, firstPosition + i)}, or, for a
   * duplicate, the original id ({@link BatchReceipt#txnId}).
   *
   * @throws IllegalStateException when the txn was refused as too old for its client's window
   */
  public TxnId txnId(int i) {
    if (i < 0 || i >= txnCount) {
      throw new IndexOutOfBoundsException(i);
    }
    return epoch.txnId(firstPosition + i);
  }

  /**
   * What became of the submission's txn {@code i}: null when it was sequenced in this epoch, else
   * why not ({@link BatchReceipt#notSequenced(int)}).
   */
  public NotSequenced notSequenced(int i) {
    if (i < 0 || i >= txnCount) {
      throw new IndexOutOfBoundsException(i);
    }
    return epoch.notSequenced(firstPosition + i);
  }

  /**
   * The ids of the submission's txns, in submission order.
   *
   * @throws IllegalStateException as {@link #txnId} does
   */
  public List<TxnId> txnIds() {
    List<TxnId> ids = new ArrayList<>(txnCount);
    for (int i = 0; i < txnCount; i++) {
      ids.add(txnId(i));
    }
    return ids;
  }
}
