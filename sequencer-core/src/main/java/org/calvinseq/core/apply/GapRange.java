package org.calvinseq.core.apply;

/** Epochs {@code [fromEpoch, toEpoch]} that no batch was applied for: a batch named a later one. */
public record GapRange(long fromEpoch, long toEpoch) {
  public GapRange {
    if (fromEpoch < 0 || toEpoch < fromEpoch) {
      throw new IllegalArgumentException("bad gap range [" + fromEpoch + ", " + toEpoch + "]");
    }
  }

  public long size() {
    return toEpoch - fromEpoch + 1;
  }
}
