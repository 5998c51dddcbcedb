package org.calvinseq.server.ratis;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.metrics.MetricRegistries;
import org.apache.ratis.metrics.RatisMetricRegistry;
import org.apache.ratis.metrics.impl.RatisMetricRegistryImpl;
import org.apache.ratis.thirdparty.com.codahale.metrics.Counter;
import org.apache.ratis.thirdparty.com.codahale.metrics.Metric;
import org.apache.ratis.thirdparty.com.codahale.metrics.Timer;

/**
 * Bridges a few of Ratis's own metrics (kept in Ratis's Dropwizard registries, one per server
 * member) into the node's Micrometer registry, read at scrape time: log sync and flush latency,
 * append latency, and cache misses. Ratis registries appear and disappear with the server, so each
 * read looks the member's registry up again and reports 0 when it is gone.
 */
public final class RatisMetricsBridge {
  private static final String LOG_COMPONENT = "log_worker";

  private final String memberPrefix;

  private RatisMetricsBridge(String nodeId) {
    this.memberPrefix = nodeId + "@";
  }

  /**
   * Registers the bridged meters for the Ratis member of node {@code nodeId}. Micrometer holds
   * function meters' objects weakly: the caller must keep the returned bridge.
   */
  public static RatisMetricsBridge bind(MeterRegistry registry, String nodeId) {
    RatisMetricsBridge b = new RatisMetricsBridge(nodeId);
    b.timer(registry, "sequencer.raft.log.sync", "syncTime", "Raft log fsync time");
    b.timer(registry, "sequencer.raft.log.flush", "flushTime", "Raft log flush time");
    b.timer(
        registry,
        "sequencer.raft.log.append",
        "appendEntryLatency",
        "Time to append one entry to the Raft log");
    Gauge.builder("sequencer.raft.log.sync.p99", b, x -> x.p99("syncTime"))
        .description("99th percentile of Raft log fsync time over Ratis's recent window")
        .baseUnit("seconds")
        .register(registry);
    FunctionCounter.builder("sequencer.raft.log.cache.misses", b, x -> x.count("cacheMissCount"))
        .description("Raft log reads that missed the segment cache (replay reads old entries)")
        .register(registry);
    return b;
  }

  private void timer(MeterRegistry registry, String name, String ratisName, String help) {
    FunctionTimer.builder(
            name,
            this,
            x -> x.timerOf(ratisName).map(Timer::getCount).orElse(0L),
            x ->
                x.timerOf(ratisName).map(t -> t.getSnapshot().getMean() * t.getCount()).orElse(0.0),
            TimeUnit.NANOSECONDS)
        .description(help + " (from Ratis)")
        .register(registry);
  }

  private double p99(String ratisName) {
    return timerOf(ratisName).map(t -> t.getSnapshot().get99thPercentile() / 1e9).orElse(0.0);
  }

  private double count(String ratisName) {
    return metric(ratisName)
        .filter(Counter.class::isInstance)
        .map(m -> ((Counter) m).getCount())
        .orElse(0L);
  }

  private Optional<Timer> timerOf(String ratisName) {
    return metric(ratisName).filter(Timer.class::isInstance).map(Timer.class::cast);
  }

  /** The member's log-worker metric; several registries share that name, so ask each. */
  private Optional<Metric> metric(String ratisName) {
    for (RatisMetricRegistry r : MetricRegistries.global().getMetricRegistries()) {
      if (r instanceof RatisMetricRegistryImpl impl
          && r.getMetricRegistryInfo().getPrefix().startsWith(memberPrefix)
          && LOG_COMPONENT.equals(r.getMetricRegistryInfo().getMetricsComponentName())) {
        Metric m = impl.get(ratisName);
        if (m != null) {
          return Optional.of(m);
        }
      }
    }
    return Optional.empty();
  }
}
