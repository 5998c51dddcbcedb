package org.calvinseq.server.inbox;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.calvinseq.core.codec.EntryEncoder;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.protocol.BatchReceipt;

/**
 * An epoch the {@link LeaderInbox} closed: one {@link EpochBatch} for one Raft entry, made of whole
 * submissions, each one's txns contiguous and in order. The caller proposes {@link #batch()} and
 * reports the outcome exactly once, {@link #complete} with the applied receipt or {@link #fail};
 * until then it counts as in flight. The first report wins; later ones are ignored.
 */
public final class ClosedEpoch {
  private final LeaderInbox inbox;
  private final long sequence;
  private final CloseReason reason;
  private final EpochBatch batch;
  private final long encodedBytesBound;
  private final List<Submission> submissions;
  private final long closedNanos;
  private final AtomicBoolean done = new AtomicBoolean();

  ClosedEpoch(
      LeaderInbox inbox,
      long sequence,
      CloseReason reason,
      EpochBatch batch,
      long encodedBytesBound,
      List<Submission> submissions,
      long closedNanos) {
    this.inbox = inbox;
    this.sequence = sequence;
    this.reason = reason;
    this.batch = batch;
    this.encodedBytesBound = encodedBytesBound;
    this.submissions = submissions;
    this.closedNanos = closedNanos;
  }

  /**
   * This inbox's count of closed epochs, from 1: a local identity for logs, not the epoch number
   * (which the log assigns when the entry applies).
   */
  public long sequence() {
    return sequence;
  }

  public CloseReason reason() {
    return reason;
  }

  /** The entry to propose: an {@link EpochBatch#auto auto} epoch stamped with the wall clock. */
  public EpochBatch batch() {
    return batch;
  }

  /**
   * The batch's txns with their encodings, one run per submission in the batch's order, made when
   * each submission arrived: {@code EntryEncoder.encodeGrouped(batch(), runs())} encodes the entry
   * without reading the txns again.
   */
  public List<EntryEncoder.TxnRun> runs() {
    List<EntryEncoder.TxnRun> runs = new ArrayList<>(submissions.size());
    for (Submission s : submissions) {
      runs.add(s.encoded);
    }
    return runs;
  }

  public int txnCount() {
    return batch.txns().size();
  }

  /** An upper bound of the entry's encoded size, at most the inbox's max bytes per epoch. */
  public long encodedBytesBound() {
    return encodedBytesBound;
  }

  public int submissionCount() {
    return submissions.size();
  }

  /** The inbox clock's reading when it closed. */
  public long closedNanos() {
    return closedNanos;
  }

  /**
   * The entry applied with {@code receipt}: each submission learns its positions. A receipt that is
   * not {@link BatchReceipt#sequenced() sequenced}, or whose txn count differs from the batch's,
   * fails every submission instead. Completes the submissions' futures on this thread.
   *
   * @return false if the outcome had already been reported
   */
  public boolean complete(BatchReceipt receipt) {
    if (!done.compareAndSet(false, true)) {
      return false;
    }
    IllegalStateException wrong = null;
    if (!receipt.sequenced()) {
      wrong =
          new IllegalStateException(
              "epoch entry at index "
                  + receipt.index()
                  + " was not sequenced: "
                  + receipt.outcome());
    } else if (receipt.txnCount() != txnCount()) {
      wrong =
          new IllegalStateException(
              "receipt of epoch "
                  + receipt.epoch()
                  + " counts "
                  + receipt.txnCount()
                  + " txns, the closed epoch had "
                  + txnCount());
    }
    inbox.epochDone(this, wrong == null);
    for (Submission s : submissions) {
      if (wrong != null) {
        s.future.completeExceptionally(wrong);
      } else {
        s.future.complete(new SubmissionReceipt(receipt, s.firstPosition, s.txnCount()));
      }
    }
    return true;
  }

  /**
   * The entry failed (not committed, or its fate is unknown): every submission in it fails with
   * {@code cause}. Completes the submissions' futures on this thread.
   *
   * @return false if the outcome had already been reported
   */
  public boolean fail(Throwable cause) {
    if (!done.compareAndSet(false, true)) {
      return false;
    }
    inbox.epochDone(this, false);
    for (Submission s : submissions) {
      s.future.completeExceptionally(cause);
    }
    return true;
  }

  @Override
  public String toString() {
    return "ClosedEpoch[#"
        + sequence
        + ", "
        + reason.tag()
        + ", "
        + txnCount()
        + " txns, "
        + submissions.size()
        + " submissions, <= "
        + encodedBytesBound
        + " B]";
  }
}
