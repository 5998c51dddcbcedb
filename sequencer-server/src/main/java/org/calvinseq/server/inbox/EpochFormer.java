package org.calvinseq.server.inbox;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.calvinseq.core.codec.EncodedSize;

/**
 * The inbox's logic without threads or a clock of its own: admission (capacity, tenant shares, the
 * light tenants' reserve), the fair lanes, when to close an epoch, and the numbers. Time is passed
 * in. Not thread-safe: {@link LeaderInbox} calls it under its lock, tests call it directly.
 *
 * <p>When to close (see {@link #due}): nothing closes while {@link InboxSettings#maxInFlight()}
 * epochs await their outcome; otherwise an epoch closes as soon as the pending txns or bytes fill
 * one ({@link CloseReason#TXNS}, {@link CloseReason#BYTES}), the oldest pending submission has
 * waited {@link InboxSettings#epochInterval()} ({@link CloseReason#INTERVAL}), or fewer than {@link
 * InboxSettings#eagerInFlight()} epochs are in flight ({@link CloseReason#SLOT}).
 */
final class EpochFormer {
  /** A closed epoch, before the inbox builds its batch. */
  record Formed(
      long sequence, CloseReason reason, List<Submission> submissions, int txns, long bytes) {}

  /** The smallest retry-after hint. */
  private static final long MIN_RETRY_NANOS = 1_000_000;

  private final InboxSettings s;
  private final long intervalNanos;
  private final long maxRetryNanos;

  /** Bytes an epoch's txns may take: the epoch's limit less the entry's overhead. */
  private final long room;

  private final TenantLanes lanes = new TenantLanes();

  /** Pending submissions in arrival order (taken ones are dropped lazily from the front). */
  private final ArrayDeque<Submission> arrivals = new ArrayDeque<>();

  /** Per tenant with txns pending: {txns, bytes}. */
  private final Map<Long, long[]> holdings = new HashMap<>();

  private int depthTxns;
  private long depthBytes;
  private int depthSubmissions;
  private int inFlight;
  private long sequence;

  /** Smoothed time between closes: how fast the inbox drains, for retry-after hints. */
  private long paceNanos;

  private long lastCloseNanos;
  private boolean closedAny;

  private final long[] closedBy = new long[CloseReason.values().length];
  private long txnsClosed;
  private long bytesClosed;
  private long epochsSequenced;
  private long epochsFailed;
  private long submissionsAdmitted;
  private long txnsAdmitted;
  private final long[] refusedBy = new long[RefusalReason.values().length];
  private final TopTenants topRefused;

  EpochFormer(InboxSettings s, int topTenants) {
    this.s = s;
    this.intervalNanos = s.epochInterval().toNanos();
    this.maxRetryNanos = s.maxRetryAfter().toNanos();
    this.room = (long) s.maxBytesPerEpoch() - EncodedSize.BATCH_OVERHEAD;
    this.paceNanos = intervalNanos;
    this.topRefused = new TopTenants(topTenants);
  }

  boolean isEmpty() {
    return depthSubmissions == 0;
  }

  int inFlight() {
    return inFlight;
  }

  // ---- admission ----

  /**
   * Takes {@code sub} into the inbox at {@code now}, or says why not (counted): a tenant over its
   * share, the inbox over its capacity, or into its reserve for a tenant that is not light.
   */
  InboxRefusedException admit(Submission sub, long now) {
    InboxRefusedException refusal = admission(sub);
    if (refusal != null) {
      refused(refusal);
      return refusal;
    }
    for (int i = 0; i < sub.tenants.length; i++) {
      long[] h = holdings.computeIfAbsent(sub.tenants[i], t -> new long[2]);
      h[0] += sub.tenantTxns[i];
      h[1] += sub.tenantBytes[i];
    }
    depthTxns += sub.txnCount();
    depthBytes += sub.bytes;
    depthSubmissions++;
    submissionsAdmitted++;
    txnsAdmitted += sub.txnCount();
    sub.arrivalNanos = now;
    arrivals.addLast(sub);
    lanes.add(sub);
    return null;
  }

  private InboxRefusedException admission(Submission sub) {
    int lanesAfter = Math.max(1, lanes.activeLanes());
    for (int i = 0; i < sub.tenants.length; i++) {
      long tenant = sub.tenants[i];
      long[] h = holdings.get(tenant);
      long txns = h == null ? 0 : h[0];
      long bytes = h == null ? 0 : h[1];
      // The tenant's lane drains at about its fair part of each epoch.
      long excessTxns = txns + sub.tenantTxns[i] - s.tenantShareTxns();
      if (excessTxns > 0) {
        return Refusals.tenantShare(
            true,
            tenant,
            txns,
            sub.tenantTxns[i],
            s.tenantShareTxns(),
            s.tenantShareDivisor(),
            s.capacityTxns(),
            retryAfter(ceilDiv(excessTxns * lanesAfter, s.maxTxnsPerEpoch())));
      }
      long excessBytes = bytes + sub.tenantBytes[i] - s.tenantShareBytes();
      if (excessBytes > 0) {
        return Refusals.tenantShare(
            false,
            tenant,
            bytes,
            sub.tenantBytes[i],
            s.tenantShareBytes(),
            s.tenantShareDivisor(),
            s.capacityBytes(),
            retryAfter(ceilDiv(excessBytes * lanesAfter, room)));
      }
    }
    long txnsAfter = (long) depthTxns + sub.txnCount();
    long bytesAfter = depthBytes + sub.bytes;
    if (txnsAfter > s.capacityTxns()) {
      return Refusals.inboxFull(
          true,
          sub.lane,
          depthTxns,
          sub.txnCount(),
          s.capacityTxns(),
          retryAfter(ceilDiv(txnsAfter - s.capacityTxns(), s.maxTxnsPerEpoch())));
    }
    if (bytesAfter > s.capacityBytes()) {
      return Refusals.inboxFull(
          false,
          sub.lane,
          depthBytes,
          sub.bytes,
          s.capacityBytes(),
          retryAfter(ceilDiv(bytesAfter - s.capacityBytes(), room)));
    }
    long softTxns = s.capacityTxns() - s.reserveTxns();
    long softBytes = s.capacityBytes() - s.reserveBytes();
    if (txnsAfter > softTxns || bytesAfter > softBytes) {
      for (int i = 0; i < sub.tenants.length; i++) {
        long[] h = holdings.get(sub.tenants[i]);
        long txns = (h == null ? 0 : h[0]) + sub.tenantTxns[i];
        long bytes = (h == null ? 0 : h[1]) + sub.tenantBytes[i];
        if (txns > s.maxTxnsPerEpoch() || bytes > s.maxBytesPerEpoch()) {
          long epochs =
              Math.max(
                  ceilDiv(Math.max(0, txnsAfter - softTxns), s.maxTxnsPerEpoch()),
                  ceilDiv(Math.max(0, bytesAfter - softBytes), room));
          return Refusals.reserved(
              sub.tenants[i], txnsAfter, bytesAfter, s, txns, bytes, retryAfter(epochs));
        }
      }
    }
    return null;
  }

  /** Counts a refusal: by reason, and by tenant for refusals about load. */
  void refused(InboxRefusedException e) {
    refusedBy[e.reason().ordinal()]++;
    if (e.reason().retryable() && e.reason() != RefusalReason.CLOSED && e.tenant().isPresent()) {
      topRefused.count(e.tenant().getAsLong());
    }
  }

  /** The time for {@code epochs} more epochs to close at the recent pace, within the bounds. */
  private Duration retryAfter(long epochs) {
    long n = Math.max(1, epochs);
    long nanos = n > maxRetryNanos / Math.max(1, paceNanos) ? maxRetryNanos : n * paceNanos;
    return Duration.ofNanos(Math.min(maxRetryNanos, Math.max(MIN_RETRY_NANOS, nanos)));
  }

  private static long ceilDiv(long a, long b) {
    return a <= 0 ? 0 : (a + b - 1) / b;
  }

  // ---- closing ----

  /** Why an epoch should close at {@code now}, or null when it should not yet. */
  CloseReason due(long now) {
    if (depthSubmissions == 0 || inFlight >= s.maxInFlight()) {
      return null;
    }
    if (depthTxns >= s.maxTxnsPerEpoch()) {
      return CloseReason.TXNS;
    }
    if (depthBytes >= room) {
      return CloseReason.BYTES;
    }
    if (now - oldest().arrivalNanos >= intervalNanos) {
      return CloseReason.INTERVAL;
    }
    return inFlight < s.eagerInFlight() ? CloseReason.SLOT : null;
  }

  /**
   * Nanoseconds from {@code now} until an epoch is due without anything else happening (0 when due
   * now); {@link Long#MAX_VALUE} when only a submission or an epoch's outcome can make one due.
   */
  long nanosUntilDue(long now) {
    if (depthSubmissions == 0 || inFlight >= s.maxInFlight()) {
      return Long.MAX_VALUE;
    }
    if (due(now) != null) {
      return 0;
    }
    return Math.max(0, intervalNanos - (now - oldest().arrivalNanos));
  }

  private Submission oldest() {
    Submission head = arrivals.peekFirst();
    while (head.taken) {
      arrivals.pollFirst();
      head = arrivals.peekFirst();
    }
    return head;
  }

  /**
   * Closes an epoch if one is {@link #due} at {@code now}: takes submissions from the lanes in turn
   * while they fit, gives them their positions and counts the epoch in flight; null if none is due.
   */
  Formed close(long now) {
    CloseReason reason = due(now);
    if (reason == null) {
      return null;
    }
    List<Submission> out = new ArrayList<>();
    TenantLanes.Stop stop = lanes.fill(s.maxTxnsPerEpoch(), room, out);
    int txns = 0;
    long bytes = 0;
    for (Submission sub : out) {
      sub.taken = true;
      sub.firstPosition = txns;
      txns += sub.txnCount();
      bytes += sub.bytes;
      for (int i = 0; i < sub.tenants.length; i++) {
        long[] h = holdings.get(sub.tenants[i]);
        h[0] -= sub.tenantTxns[i];
        h[1] -= sub.tenantBytes[i];
        if (h[0] == 0) {
          holdings.remove(sub.tenants[i]);
        }
      }
    }
    if (reason == CloseReason.TXNS || reason == CloseReason.BYTES) {
      // Full: name the limit the epoch met.
      reason =
          stop == TenantLanes.Stop.BYTES
                  || (stop == TenantLanes.Stop.EMPTY && txns < s.maxTxnsPerEpoch())
              ? CloseReason.BYTES
              : CloseReason.TXNS;
    }
    depthTxns -= txns;
    depthBytes -= bytes;
    depthSubmissions -= out.size();
    if (depthSubmissions == 0) {
      arrivals.clear();
    }
    inFlight++;
    closedBy[reason.ordinal()]++;
    txnsClosed += txns;
    bytesClosed += bytes + EncodedSize.BATCH_OVERHEAD;
    if (closedAny) {
      long gap = Math.min(Math.max(0, now - lastCloseNanos), maxRetryNanos);
      paceNanos += (gap - paceNanos) / 8;
    }
    closedAny = true;
    lastCloseNanos = now;
    return new Formed(
        ++sequence, reason, List.copyOf(out), txns, bytes + EncodedSize.BATCH_OVERHEAD);
  }

  /** An epoch's outcome was reported: it leaves the in-flight count. */
  void epochDone(boolean sequenced) {
    if (inFlight <= 0) {
      throw new IllegalStateException("no epoch in flight");
    }
    inFlight--;
    if (sequenced) {
      epochsSequenced++;
    } else {
      epochsFailed++;
    }
  }

  /** Removes every pending submission (the inbox is closing); in-flight epochs stay counted. */
  List<Submission> drainAll() {
    List<Submission> all = lanes.drainAll();
    arrivals.clear();
    holdings.clear();
    depthTxns = 0;
    depthBytes = 0;
    depthSubmissions = 0;
    return all;
  }

  // ---- numbers ----

  /** Txns the tenant has pending (charged to it). */
  long holdingTxns(long tenant) {
    long[] h = holdings.get(tenant);
    return h == null ? 0 : h[0];
  }

  InboxStats stats() {
    Map<CloseReason, Long> closed = new EnumMap<>(CloseReason.class);
    for (CloseReason r : CloseReason.values()) {
      closed.put(r, closedBy[r.ordinal()]);
    }
    Map<RefusalReason, Long> refusals = new EnumMap<>(RefusalReason.class);
    for (RefusalReason r : RefusalReason.values()) {
      refusals.put(r, refusedBy[r.ordinal()]);
    }
    return new InboxStats(
        depthTxns,
        depthBytes,
        depthSubmissions,
        lanes.activeLanes(),
        inFlight,
        closed,
        txnsClosed,
        bytesClosed,
        epochsSequenced,
        epochsFailed,
        submissionsAdmitted,
        txnsAdmitted,
        refusals,
        topRefused.top());
  }
}
