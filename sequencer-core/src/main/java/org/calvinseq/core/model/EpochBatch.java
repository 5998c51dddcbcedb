package org.calvinseq.core.model;

import java.util.List;
import java.util.Objects;

/**
 * A proposed batch of transactions; once committed it becomes one epoch.
 *
 * @param epoch the epoch the proposer requires, or {@link #AUTO_EPOCH} to take the next one in log
 *     order (the normal case)
 * @param proposerMs the proposer's wall clock in milliseconds; the state machine derives the
 *     deterministic {@code epochSystemMs} from it
 * @param txns the transactions, in the order they get their positions
 */
public record EpochBatch(long epoch, long proposerMs, List<Txn> txns) implements SequencerEntry {
  public static final long AUTO_EPOCH = -1;

  public EpochBatch {
    if (epoch < AUTO_EPOCH) {
      throw new IllegalArgumentException("epoch must be >= 0 or AUTO_EPOCH: " + epoch);
    }
    txns = List.copyOf(Objects.requireNonNull(txns, "txns"));
  }

  /** A batch that takes the next epoch in log order. */
  public static EpochBatch auto(long proposerMs, List<Txn> txns) {
    return new EpochBatch(AUTO_EPOCH, proposerMs, txns);
  }

  public boolean hasEpoch() {
    return epoch != AUTO_EPOCH;
  }
}
