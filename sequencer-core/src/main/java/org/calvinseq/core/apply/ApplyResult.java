package org.calvinseq.core.apply;

import java.util.List;
import java.util.Objects;
import org.calvinseq.core.model.NotSequenced;

/**
 * What applying one log entry did: one case per outcome, each with only the fields that outcome
 * has. The Raft adapter turns it into the proposer's reply ({@code BatchReceipt.of}).
 */
public sealed interface ApplyResult
    permits ApplyResult.Sequenced,
        ApplyResult.Stale,
        ApplyResult.OutOfRange,
        ApplyResult.Acks,
        ApplyResult.AlreadyApplied,
        ApplyResult.DecodeError,
        ApplyResult.ClusterInitApplied {

  /** The Raft index of the entry. */
  long index();

  /** The outcome as a code; receipts carry its ordinal (docs/wire-format.md, section 13). */
  Kind kind();

  /** True when the entry consumed an epoch. */
  default boolean sequenced() {
    return this instanceof Sequenced;
  }

  enum Kind {
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
     * A cluster-init entry: it takes no epoch (see {@link ClusterInitApplied}). Last, because
     * receipts carry the ordinal.
     */
    CLUSTER_INIT
  }

  /**
   * A batch became epoch {@code epoch}: the expected one ({@link Kind#APPLIED}), or one above it
   * after a gap ({@link Kind#GAP}). The txn at position {@code p} of the batch became {@code
   * TxnId(epoch, p)}, unless {@code notSequenced} names {@code p}: a retry, whose position stays
   * empty (docs/wire-format.md, section 9a).
   *
   * @param epochSystemMs the epoch's deterministic time
   * @param txnCount txns in the batch, sequenced or not
   * @param expectedEpoch the epoch the state machine expected; below {@code epoch} after a gap
   * @param notSequenced the txns of the batch that were not sequenced, by ascending position
   */
  record Sequenced(
      long index,
      long epoch,
      long epochSystemMs,
      int txnCount,
      long expectedEpoch,
      List<NotSequenced> notSequenced)
      implements ApplyResult {
    public Sequenced {
      if (epoch < expectedEpoch || epoch < 0 || txnCount < 0) {
        throw new IllegalArgumentException(
            "epoch " + epoch + " (expected " + expectedEpoch + "), " + txnCount + " txns");
      }
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

    /** A batch whose every txn was sequenced. */
    public Sequenced(long index, long epoch, long epochSystemMs, int txnCount, long expectedEpoch) {
      this(index, epoch, epochSystemMs, txnCount, expectedEpoch, List.of());
    }

    /** Txns of the batch that took their position: {@code txnCount} less the not-sequenced. */
    public int sequencedCount() {
      return txnCount - notSequenced.size();
    }

    @Override
    public Kind kind() {
      return epoch > expectedEpoch ? Kind.GAP : Kind.APPLIED;
    }
  }

  /** A batch named {@code epoch}, below the expected {@code expectedEpoch}: not applied. */
  record Stale(long index, long epoch, long expectedEpoch, int txnCount) implements ApplyResult {
    public Stale {
      if (epoch >= expectedEpoch) {
        throw new IllegalArgumentException(
            "stale epoch " + epoch + " is not below " + expectedEpoch);
      }
    }

    @Override
    public Kind kind() {
      return Kind.STALE;
    }
  }

  /**
   * A batch named {@code epoch}, too far above {@code expectedEpoch}: skipped, took no epoch.
   *
   * @param detail which bound it broke, for people
   */
  record OutOfRange(long index, long epoch, long expectedEpoch, int txnCount, String detail)
      implements ApplyResult {
    public OutOfRange {
      Objects.requireNonNull(detail, "detail");
    }

    @Override
    public Kind kind() {
      return Kind.OUT_OF_RANGE;
    }
  }

  /** An ack entry of {@code ackCount} acks was applied. */
  record Acks(long index, int ackCount) implements ApplyResult {
    @Override
    public Kind kind() {
      return Kind.ACKS;
    }
  }

  /** The index was at or below the last applied one: nothing was done. */
  record AlreadyApplied(long index) implements ApplyResult {
    @Override
    public Kind kind() {
      return Kind.ALREADY_APPLIED;
    }
  }

  /**
   * The entry did not decode (or, in the adapter, applying it failed): counted and skipped.
   *
   * @param detail what was wrong, for people
   */
  record DecodeError(long index, String detail) implements ApplyResult {
    public DecodeError {
      Objects.requireNonNull(detail, "detail");
    }

    @Override
    public Kind kind() {
      return Kind.DECODE_ERROR;
    }
  }

  /**
   * A cluster-init entry was applied; it took no epoch.
   *
   * @param mismatch null when the settings it records are this node's, else what differs: the node
   *     must then stop applying (its routing disagrees with the cluster's)
   */
  record ClusterInitApplied(long index, String mismatch) implements ApplyResult {
    @Override
    public Kind kind() {
      return Kind.CLUSTER_INIT;
    }
  }
}
