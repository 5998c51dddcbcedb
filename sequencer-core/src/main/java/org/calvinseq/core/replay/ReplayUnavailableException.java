package org.calvinseq.core.replay;

/** A replay range starts before the oldest epoch still retained. */
public final class ReplayUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final long requestedEpoch;
  private final long firstAvailableEpoch;

  public ReplayUnavailableException(long requestedEpoch, long firstAvailableEpoch) {
    super(
        "epoch "
            + requestedEpoch
            + " is no longer retained; the first epoch available for replay is "
            + firstAvailableEpoch);
    this.requestedEpoch = requestedEpoch;
    this.firstAvailableEpoch = firstAvailableEpoch;
  }

  public long requestedEpoch() {
    return requestedEpoch;
  }

  /** The oldest epoch that can still be replayed, or -1 when nothing is retained. */
  public long firstAvailableEpoch() {
    return firstAvailableEpoch;
  }
}
