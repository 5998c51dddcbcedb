package org.calvinseq.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import org.calvinseq.server.inbox.CloseReason;
import org.calvinseq.server.inbox.InboxListener;
import org.calvinseq.server.inbox.InboxRefusedException;
import org.calvinseq.server.inbox.InboxStats;
import org.calvinseq.server.inbox.RefusalReason;

/**
 * The leader inbox's meters (docs/metrics.md, "Leader inbox"): counters and histograms from the
 * inbox's events, which keep counting across the inboxes of successive terms, and gauges read from
 * the current inbox's {@link InboxStats} (0 while this node does not lead). Labels are reasons and,
 * for refusals, a tenant class out of three ({@link TenantClass}), never a tenant id: ids are
 * unbounded, and the tenants refused most are in {@link InboxStats#topRefusedTenants()}.
 */
final class InboxMetrics implements InboxListener {
  /** Reason tag of a submission refused before the inbox because it did not decode. */
  static final String MALFORMED = "malformed";

  /** Reason tag of a stream submission a follower answered with the leader's id. */
  static final String NOT_LEADER = "not_leader";

  /**
   * The {@code tenant_class} label of a refusal: whom it hit, in a bounded set of values. Tenant 0
   * is the default tenant (a txn that names none, as {@code sequencer propose} writes it), so a
   * cluster that does not use tenants sees only {@code default} and {@code none}.
   */
  enum TenantClass {
    /** No tenant known: refused before decoding, an empty submission, or no inbox yet. */
    NONE,
    /** Tenant 0, the default tenant. */
    DEFAULT,
    /** Any other tenant. */
    OTHER;

    static TenantClass of(OptionalLong tenant) {
      if (tenant == null || tenant.isEmpty()) {
        return NONE;
      }
      return tenant.getAsLong() == 0 ? DEFAULT : OTHER;
    }

    String tag() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final Map<CloseReason, Counter> closed = new EnumMap<>(CloseReason.class);
  private final MeterRegistry registry;
  // By reason tag, then by TenantClass ordinal; filled at start-up, and on first use for a pair
  // that should not occur (registering is idempotent, so a race registers one meter).
  private final Map<String, AtomicReferenceArray<Counter>> refusals = new ConcurrentHashMap<>();
  private final Counter sequenced;
  private final Counter failed;
  private final DistributionSummary fillTxns;
  private final DistributionSummary fillBytes;
  private final Timer inFlight;

  InboxMetrics(MeterRegistry registry) {
    this.registry = registry;
    for (CloseReason r : CloseReason.values()) {
      closed.put(
          r,
          Counter.builder("sequencer.inbox.epochs.closed")
              .description("Leader: epochs the inbox closed, by why they closed when they did")
              .tag("reason", r.tag())
              .register(registry));
    }
    // Every series that can occur exists from start-up: a refusal before any inbox knows no
    // tenant; a refusal by the inbox names one (all but EMPTY).
    for (String early :
        List.of(
            RefusalReason.EMPTY.tag(),
            RefusalReason.TOO_LARGE.tag(),
            RefusalReason.CLOSED.tag(),
            MALFORMED,
            NOT_LEADER)) {
      refusal(early, TenantClass.NONE);
    }
    for (RefusalReason r : RefusalReason.values()) {
      if (r != RefusalReason.EMPTY) {
        refusal(r.tag(), TenantClass.DEFAULT);
        refusal(r.tag(), TenantClass.OTHER);
      }
    }
    sequenced = done(registry, "sequenced");
    failed = done(registry, "failed");
    fillTxns =
        DistributionSummary.builder("sequencer.inbox.epoch.txns")
            .description("Leader: txns per epoch the inbox closed (its fill)")
            .serviceLevelObjectives(1, 10, 100, 500, 1000)
            .register(registry);
    fillBytes =
        DistributionSummary.builder("sequencer.inbox.epoch.bytes")
            .description("Leader: encoded bytes (upper bound) per epoch the inbox closed")
            .baseUnit("bytes")
            .serviceLevelObjectives(1 << 10, 64 << 10, 1 << 20, 4 << 20)
            .register(registry);
    inFlight =
        Timer.builder("sequencer.inbox.epoch.flight")
            .description(
                "Leader: time from an epoch's close to its outcome (propose, commit, apply)")
            .serviceLevelObjectives(
                Duration.ofMillis(1),
                Duration.ofMillis(5),
                Duration.ofMillis(10),
                Duration.ofMillis(50),
                Duration.ofMillis(100))
            .register(registry);
  }

  /** The refusal counter of a reason tag and a tenant class (at most 11 x 3 series). */
  private Counter refusal(String reason, TenantClass tenantClass) {
    AtomicReferenceArray<Counter> byClass =
        refusals.computeIfAbsent(
            reason, r -> new AtomicReferenceArray<>(TenantClass.values().length));
    Counter c = byClass.get(tenantClass.ordinal());
    if (c == null) {
      c =
          Counter.builder("sequencer.inbox.refusals")
              .description(
                  "Leader: submissions refused, nothing of them queued, by reason and tenant"
                      + " class")
              .tag("reason", reason)
              .tag("tenant_class", tenantClass.tag())
              .register(registry);
      byClass.set(tenantClass.ordinal(), c);
    }
    return c;
  }

  private static Counter done(MeterRegistry registry, String outcome) {
    return Counter.builder("sequencer.inbox.epochs.done")
        .description("Leader: epochs of the inbox whose outcome came back, by outcome")
        .tag("outcome", outcome)
        .register(registry);
  }

  /** The gauges, read from the current inbox's numbers ({@code null}: not leading, all 0). */
  void bindGauges(MeterRegistry registry, Supplier<InboxStats> stats) {
    gauge(
        registry,
        stats,
        "sequencer.inbox.depth.txns",
        "Leader: txns waiting",
        InboxStats::depthTxns);
    gauge(
        registry,
        stats,
        "sequencer.inbox.depth.bytes",
        "Leader: encoded bytes (upper bound) waiting",
        InboxStats::depthBytes);
    gauge(
        registry,
        stats,
        "sequencer.inbox.depth.submissions",
        "Leader: submissions waiting",
        InboxStats::depthSubmissions);
    gauge(
        registry,
        stats,
        "sequencer.inbox.tenants.active",
        "Leader: tenants with a submission waiting",
        InboxStats::activeTenants);
    gauge(
        registry,
        stats,
        "sequencer.inbox.epochs.in.flight",
        "Leader: epochs closed whose outcome has not come back",
        InboxStats::inFlight);
  }

  private static void gauge(
      MeterRegistry registry,
      Supplier<InboxStats> stats,
      String name,
      String description,
      ToDoubleFunction<InboxStats> value) {
    Gauge.builder(
            name,
            stats,
            s -> {
              InboxStats now = s.get();
              return now == null ? 0 : value.applyAsDouble(now);
            })
        .description(description)
        .strongReference(true) // the supplier is a method reference nobody else holds
        .register(registry);
  }

  /**
   * A submission refused before it reached an inbox ({@code tag}: a reason's tag), whose tenant is
   * not known yet.
   */
  void refusedBeforeInbox(String tag) {
    refusal(tag, TenantClass.NONE).increment();
  }

  @Override
  public void epochClosed(CloseReason reason, int txns, long bytes, int submissions) {
    closed.get(reason).increment();
    fillTxns.record(txns);
    fillBytes.record(bytes);
  }

  @Override
  public void epochDone(boolean wasSequenced, long inFlightNanos) {
    (wasSequenced ? sequenced : failed).increment();
    inFlight.record(inFlightNanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void refused(InboxRefusedException refusal) {
    refusal(refusal.reason().tag(), TenantClass.of(refusal.tenant())).increment();
  }
}
