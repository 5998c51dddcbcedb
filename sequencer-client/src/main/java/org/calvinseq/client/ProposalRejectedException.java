package org.calvinseq.client;

/** The leader refused a proposal before it reached the log; the message says why. */
public final class ProposalRejectedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ProposalRejectedException(String message) {
    super(message);
  }
}
