package org.calvinseq.core.model;

/** The sequencer's identity of a transaction: its epoch and its position within the epoch. */
public record TxnId(long epoch, int position) implements Comparable<TxnId> {
  public TxnId {
    if (epoch < 0) {
      throw new IllegalArgumentException("epoch must be >= 0: " + epoch);
    }
    if (position < 0) {
      throw new IllegalArgumentException("position must be >= 0: " + position);
    }
  }

  @Override
  public int compareTo(TxnId o) {
    int c = Long.compare(epoch, o.epoch);
    return c != 0 ? c : Integer.compare(position, o.position);
  }

  /** True when this id comes strictly before {@code (epoch, position)}. */
  public boolean isBefore(long otherEpoch, int otherPosition) {
    return epoch < otherEpoch || (epoch == otherEpoch && position < otherPosition);
  }

  @Override
  public String toString() {
    return epoch + "." + position;
  }
}
