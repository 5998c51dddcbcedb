package org.calvinseq.server.inbox;

import java.time.Duration;
import java.util.OptionalLong;

/**
 * A submission the {@link LeaderInbox} did not take: nothing of it was queued. The message names
 * the limit, the tenant and, for a {@link RefusalReason#retryable() retryable} refusal, a
 * retry-after hint, e.g. {@code inbox full for tenant 7: it holds 32,000 txns and this submission
 * adds 1,000, over its share of 32,768 txns (1/8 of the inbox's 262,144); retry after ~10 ms}.
 */
public final class InboxRefusedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final RefusalReason reason;
  private final transient OptionalLong tenant;
  private final transient Duration retryAfter;

  InboxRefusedException(
      RefusalReason reason,
      OptionalLong tenant,
      Duration retryAfter,
      String message,
      Throwable cause) {
    super(message, cause);
    this.reason = reason;
    this.tenant = tenant;
    this.retryAfter = retryAfter;
  }

  public RefusalReason reason() {
    return reason;
  }

  /**
   * The tenant the refusal is about (unsigned, as {@link org.calvinseq.core.model.Txn#tenantId()}):
   * the one over its share, else the tenant of the submission's first txn; empty for an empty
   * submission.
   */
  public OptionalLong tenant() {
    return tenant;
  }

  /**
   * When a retry may succeed, a hint; {@link Duration#ZERO} for {@link RefusalReason#CLOSED} (try
   * the new leader now) and null for bad input (do not retry).
   */
  public Duration retryAfter() {
    return retryAfter;
  }
}
