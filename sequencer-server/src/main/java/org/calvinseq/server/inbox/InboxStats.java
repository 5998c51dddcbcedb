package org.calvinseq.server.inbox;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A snapshot of the {@link LeaderInbox}'s numbers, for the server to export. The gauges are the
 * state at the moment of the snapshot; the counters count since the inbox was created. Nothing here
 * grows with the number of tenants: per-tenant refusals are only the bounded {@link
 * #topRefusedTenants()}.
 *
 * @param depthTxns txns waiting in the inbox
 * @param depthBytes their encoded bytes (upper bounds, as admission counts them)
 * @param depthSubmissions submissions waiting
 * @param activeTenants tenants (scheduling lanes) with a submission waiting
 * @param inFlight closed epochs whose outcome has not been reported
 * @param epochsClosed closed epochs by why they closed
 * @param txnsClosed txns in closed epochs (with {@code epochsClosed}: the mean fill)
 * @param bytesClosed encoded bytes (upper bounds) in closed epochs
 * @param epochsSequenced epochs reported applied
 * @param epochsFailed epochs reported failed (or not sequenced)
 * @param submissionsAdmitted submissions taken into the inbox
 * @param txnsAdmitted their txns
 * @param refusals refused submissions by reason
 * @param topRefusedTenants at most {@link LeaderInbox#TOP_TENANTS} tenants with the most load
 *     refusals (share, full, reserve), most first; a count may overstate a tenant's by at most the
 *     smallest count listed (Space-Saving)
 */
public record InboxStats(
    int depthTxns,
    long depthBytes,
    int depthSubmissions,
    int activeTenants,
    int inFlight,
    Map<CloseReason, Long> epochsClosed,
    long txnsClosed,
    long bytesClosed,
    long epochsSequenced,
    long epochsFailed,
    long submissionsAdmitted,
    long txnsAdmitted,
    Map<RefusalReason, Long> refusals,
    List<TenantCount> topRefusedTenants) {

  public InboxStats {
    EnumMap<CloseReason, Long> closed = new EnumMap<>(CloseReason.class);
    closed.putAll(epochsClosed);
    epochsClosed = java.util.Collections.unmodifiableMap(closed);
    EnumMap<RefusalReason, Long> refused = new EnumMap<>(RefusalReason.class);
    refused.putAll(refusals);
    refusals = java.util.Collections.unmodifiableMap(refused);
    topRefusedTenants = List.copyOf(topRefusedTenants);
  }

  /** Closed epochs, whatever the reason. */
  public long totalEpochsClosed() {
    return epochsClosed.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Refused submissions, whatever the reason. */
  public long totalRefusals() {
    return refusals.values().stream().mapToLong(Long::longValue).sum();
  }
}
