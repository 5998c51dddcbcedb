package org.calvinseq.client;

/** No quorum answered within the call's deadline (too many nodes down, or no leader). */
public final class SequencerUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public SequencerUnavailableException(String message) {
    super(message);
  }

  public SequencerUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
