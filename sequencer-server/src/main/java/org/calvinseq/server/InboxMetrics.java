package org.calvinseq.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
 * the current inbox's {@link InboxStats} (0 while this node does not lead). Labels are reasons
 * only, never tenants.
 */
final class InboxMetrics implements InboxListener {
  /** Reason tag of a submission refused before the inbox because it did not decode. */
  static final String MALFORMED = "malformed";

  private final Map<CloseReason, Counter> closed = new EnumMap<>(CloseReason.class);
  private final Map<String, Counter> refusals = new HashMap<>();
  private final Counter sequenced;
  private final Counter failed;
  private final DistributionSummary fillTxns;
  private final DistributionSummary fillBytes;
  private final Timer inFlight;

  InboxMetrics(MeterRegistry registry) {
    for (CloseReason r : CloseReason.values()) {
      closed.put(
          r,
          Counter.builder("sequencer.inbox.epochs.closed")
              .description("Leader: epochs the inbox closed, by why they closed when they did")
              .tag("reason", r.tag())
              .register(registry));
    }
    for (RefusalReason r : RefusalReason.values()) {
      refusals.put(r.tag(), refusalCounter(registry, r.tag()));
    }
    refusals.put(MALFORMED, refusalCounter(registry, MALFORMED));
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

  private static Counter refusalCounter(MeterRegistry registry, String tag) {
    return Counter.builder("sequencer.inbox.refusals")
        .description("Leader: submissions refused, nothing of them queued, by reason")
        .tag("reason", tag)
        .register(registry);
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

  /** A submission refused before it reached an inbox ({@code tag}: a reason's tag). */
  void refusedBeforeInbox(String tag) {
    Counter c = refusals.get(tag);
    if (c != null) {
      c.increment();
    }
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
    refusedBeforeInbox(refusal.reason().tag());
  }
}
