package org.calvinseq.core.protocol;

import java.util.ArrayList;
import java.util.List;
import org.calvinseq.core.apply.ApplyResult;
import org.calvinseq.core.model.NotSequenced;
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
 * @param notSequenced for a sequenced batch, its txns that were not sequenced because their client
 *     txn id says they are retries, by ascending position (docs/wire-format.md, section 9a); empty
 *     otherwise
 */
public record BatchReceipt(
    ApplyResult.Kind outcome,
    long index,
    long epoch,
    long epochSystemMs,
    int txnCount,
    long expectedEpoch,
    List<NotSequenced> notSequenced) {

  public BatchReceipt {
    notSequenced = List.copyOf(notSequenced);
    int previous = -1;
    for (NotSequenced n : notSequenced) {
      if (n.position() <= previous || n.position() >= txnCount) {
        throw new IllegalArgumentException(
            "not-sequenced positions must ascend below " + txnCount + ": " + notSequenced);
      }
      previous = n.position();
    }
  }

  /** A receipt in which no txn was refused as a retry. */
  public BatchReceipt(
      ApplyResult.Kind outcome,
      long index,
      long epoch,
      long epochSystemMs,
      int txnCount,
      long expectedEpoch) {
    this(outcome, index, epoch, epochSystemMs, txnCount, expectedEpoch, List.of());
  }

  /** The receipt of {@code r}; the fields an outcome does not have are -1 (0 for the count). */
  public static BatchReceipt of(ApplyResult r) {
    if (r instanceof ApplyResult.Sequenced s) {
      return new BatchReceipt(
          s.kind(),
          s.index(),
          s.epoch(),
          s.epochSystemMs(),
          s.txnCount(),
          s.expectedEpoch(),
          s.notSequenced());
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

  /** True when the batch became an epoch (some of its txns may still be retries: see below). */
  public boolean sequenced() {
    return outcome == ApplyResult.Kind.APPLIED || outcome == ApplyResult.Kind.GAP;
  }

  public boolean stale() {
    return outcome == ApplyResult.Kind.STALE;
  }

  /**
   * What became of the txn at {@code position} of this batch: null when it was sequenced here, at
   * {@code TxnId(epoch, position)}; else why not.
   */
  public NotSequenced notSequenced(int position) {
    checkPosition(position);
    int lo = 0;
    int hi = notSequenced.size() - 1;
    while (lo <= hi) { // ascending positions
      int mid = (lo + hi) >>> 1;
      NotSequenced n = notSequenced.get(mid);
      if (n.position() < position) {
        lo = mid + 1;
      } else if (n.position() > position) {
        hi = mid - 1;
      } else {
        return n;
      }
    }
    return null;
  }

  /**
   * The id of the txn at {@code position} of this batch: {@code TxnId(epoch, position)}, or, for a
   * duplicate, the id it got when it was first sequenced.
   *
   * @throws IllegalStateException when the batch was not sequenced, or this txn was refused as
   *     {@link NotSequenced.Reason#SEQUENCE_TOO_OLD} (it has no id this receipt can tell)
   */
  public TxnId txnId(int position) {
    NotSequenced n = notSequenced(position);
    if (n == null) {
      return new TxnId(epoch, position);
    }
    if (n.reason() == NotSequenced.Reason.DUPLICATE) {
      return n.original();
    }
    throw new IllegalStateException(
        "txn "
            + position
            + " of the batch was refused: its sequence is below its client's window, so whether"
            + " it was sequenced before cannot be told");
  }

  /**
   * The ids of every txn of the batch, in order, as {@link #txnId} gives them.
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

  private void checkPosition(int position) {
    if (!sequenced()) {
      throw new IllegalStateException("batch was not sequenced: " + outcome);
    }
    if (position < 0 || position >= txnCount) {
      throw new IndexOutOfBoundsException(position);
    }
  }
}
