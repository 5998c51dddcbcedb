package org.calvinseq.core.model;

import java.util.Objects;

/**
 * A transaction as the sequencer ordered it: the txn plus its epoch, its position in the epoch and
 * the epoch's deterministic time. Engines use {@code epochSystemMs} instead of reading a clock, so
 * every replica executes with the same notion of "now".
 */
public record SequencedTxn(Txn txn, long epoch, int position, long epochSystemMs)
    implements Comparable<SequencedTxn> {
  public SequencedTxn {
    Objects.requireNonNull(txn, "txn");
    if (epoch < 0 || position < 0) {
      throw new IllegalArgumentException("epoch and position must be >= 0");
    }
  }

  public TxnId id() {
    return new TxnId(epoch, position);
  }

  @Override
  public int compareTo(SequencedTxn o) {
    int c = Long.compare(epoch, o.epoch);
    return c != 0 ? c : Integer.compare(position, o.position);
  }
}
