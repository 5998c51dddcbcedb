package org.calvinseq.client;

/**
 * The leader refused a proposal before it reached the log, or the client did not send one the
 * cluster would refuse for its size ({@code "proposal not sent: ..."}); the message says why.
 */
public final class ProposalRejectedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ProposalRejectedException(String message) {
    super(message);
  }
}
