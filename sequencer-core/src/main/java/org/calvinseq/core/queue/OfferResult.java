package org.calvinseq.core.queue;

/** Outcome of a non-blocking offer to a vshard queue. */
public enum OfferResult {
  ACCEPTED,
  FULL,
  CLOSED
}
