package org.calvinseq.client;

/**
 * A peer answered a query with an error: the request itself is wrong (a vshard out of range, say)
 * or the peer cannot serve it. Asking another peer would give the same answer, so it is not
 * retried.
 */
public final class QueryRefusedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public QueryRefusedException(String message, Throwable cause) {
    super(message, cause);
  }
}
