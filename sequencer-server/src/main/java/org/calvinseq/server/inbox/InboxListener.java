package org.calvinseq.server.inbox;

/**
 * Hears the {@link LeaderInbox}'s events as they happen, for histograms and counters (the server
 * maps them to Micrometer; the inbox has no metrics library of its own). Called outside the inbox's
 * lock, on the thread that caused the event; implementations must return at once and must not call
 * back into the inbox. Every method does nothing by default.
 *
 * <p>To keep labels bounded, implementations should tag by reason and at most a small fixed class
 * of tenant, never by tenant id: the tenants refused most are in {@link
 * InboxStats#topRefusedTenants()}.
 */
public interface InboxListener {
  /** Hears nothing. */
  InboxListener NONE = new InboxListener() {};

  /**
   * An epoch closed (on the closer's thread).
   *
   * @param reason why it closed when it did
   * @param txns its txns (the fill)
   * @param bytes its encoded bytes, an upper bound including the entry's overhead
   * @param submissions the submissions in it
   */
  default void epochClosed(CloseReason reason, int txns, long bytes, int submissions) {}

  /**
   * An epoch's outcome was reported (on the reporting thread).
   *
   * @param sequenced whether it applied (else it failed, or was not sequenced)
   * @param inFlightNanos from its close to its outcome, by the inbox's clock
   */
  default void epochDone(boolean sequenced, long inFlightNanos) {}

  /** A submission was refused (on the submitting thread). */
  default void refused(InboxRefusedException refusal) {}
}
