package org.calvinseq.server.inbox;

import java.time.Duration;
import java.util.Locale;
import java.util.OptionalLong;
import org.calvinseq.core.codec.EncodedSize;

/** The inbox's refusals and their messages: each names the limit, the tenant and what to do. */
final class Refusals {
  private Refusals() {}

  // ---- bad input: refused before the inbox, never retried ----

  static InboxRefusedException empty() {
    return bad(RefusalReason.EMPTY, OptionalLong.empty(), "submission refused: it has no txns");
  }

  static InboxRefusedException tooManyTxns(long tenant, int n, int max) {
    return bad(
        RefusalReason.TOO_MANY_TXNS,
        OptionalLong.of(tenant),
        of(tenant)
            + " refused: it has "
            + num(n)
            + " txns, over the limit of "
            + num(max)
            + " per epoch (a submission goes into one epoch whole); split it");
  }

  static InboxRefusedException invalidTxn(long tenant, String problem) {
    return bad(
        RefusalReason.INVALID_TXN, OptionalLong.of(tenant), of(tenant) + " refused: " + problem);
  }

  static InboxRefusedException txnTooLarge(long tenant, int i, int size, int maxBytes) {
    return bad(
        RefusalReason.TOO_LARGE,
        OptionalLong.of(tenant),
        of(tenant)
            + " refused: txns["
            + i
            + "] encodes to up to "
            + num(size)
            + " bytes, which with the entry's "
            + EncodedSize.BATCH_OVERHEAD
            + "-byte overhead is over the limit of "
            + num(maxBytes)
            + " bytes per epoch");
  }

  static InboxRefusedException tooLarge(long tenant, int n, long bytes, int maxBytes) {
    return bad(
        RefusalReason.TOO_LARGE,
        OptionalLong.of(tenant),
        of(tenant)
            + " refused: its "
            + num(n)
            + " txns encode to up to "
            + num(bytes + EncodedSize.BATCH_OVERHEAD)
            + " bytes with the entry's overhead, over the limit of "
            + num(maxBytes)
            + " bytes per epoch (a submission goes into one epoch whole); split it");
  }

  // ---- load: retryable, with a hint ----

  static InboxRefusedException tenantShare(
      boolean txns,
      long tenant,
      long holds,
      long adds,
      long share,
      int divisor,
      long capacity,
      Duration retryAfter) {
    String unit = txns ? " txns" : " bytes";
    return load(
        txns ? RefusalReason.TENANT_SHARE_TXNS : RefusalReason.TENANT_SHARE_BYTES,
        tenant,
        retryAfter,
        "inbox full for tenant "
            + Long.toUnsignedString(tenant)
            + ": it holds "
            + num(holds)
            + unit
            + " and this submission adds "
            + num(adds)
            + ", over its share of "
            + num(share)
            + unit
            + " (1/"
            + divisor
            + " of the inbox's "
            + num(capacity)
            + ")");
  }

  static InboxRefusedException inboxFull(
      boolean txns, long tenant, long holds, long adds, long capacity, Duration retryAfter) {
    String unit = txns ? " txns" : " bytes";
    return load(
        txns ? RefusalReason.INBOX_FULL_TXNS : RefusalReason.INBOX_FULL_BYTES,
        tenant,
        retryAfter,
        "inbox full: it holds "
            + num(holds)
            + " of "
            + num(capacity)
            + unit
            + " and this submission of tenant "
            + Long.toUnsignedString(tenant)
            + " adds "
            + num(adds));
  }

  static InboxRefusedException reserved(
      long tenant,
      long depthTxns,
      long depthBytes,
      InboxSettings s,
      long tenantTxns,
      long tenantBytes,
      Duration retryAfter) {
    return load(
        RefusalReason.RESERVED,
        tenant,
        retryAfter,
        "inbox nearly full for tenant "
            + Long.toUnsignedString(tenant)
            + ": it would hold "
            + num(depthTxns)
            + " of "
            + num(s.capacityTxns())
            + " txns and "
            + num(depthBytes)
            + " of "
            + num(s.capacityBytes())
            + " bytes, and its last 1/"
            + s.reserveDivisor()
            + " is reserved for tenants holding at most "
            + num(s.maxTxnsPerEpoch())
            + " txns and "
            + num(s.maxBytesPerEpoch())
            + " bytes; tenant "
            + Long.toUnsignedString(tenant)
            + " would hold "
            + num(tenantTxns)
            + " txns and "
            + num(tenantBytes)
            + " bytes");
  }

  static InboxRefusedException closed(OptionalLong tenant, String why, Throwable cause) {
    return new InboxRefusedException(
        RefusalReason.CLOSED,
        tenant,
        Duration.ZERO,
        "inbox closed: " + why + "; retry on the current leader",
        cause);
  }

  private static InboxRefusedException bad(
      RefusalReason reason, OptionalLong tenant, String message) {
    return new InboxRefusedException(reason, tenant, null, message, null);
  }

  private static InboxRefusedException load(
      RefusalReason reason, long tenant, Duration retryAfter, String message) {
    return new InboxRefusedException(
        reason,
        OptionalLong.of(tenant),
        retryAfter,
        message + "; retry after ~" + Math.max(1, retryAfter.toMillis()) + " ms",
        null);
  }

  private static String of(long tenant) {
    return "submission of tenant " + Long.toUnsignedString(tenant);
  }

  /** {@code n} with thousands separators: 131,072. */
  static String num(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }
}
