package org.calvinseq.server.ratis;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.apache.ratis.metrics.MetricRegistries;
import org.apache.ratis.metrics.MetricRegistryInfo;
import org.apache.ratis.metrics.RatisMetricRegistry;
import org.apache.ratis.metrics.impl.RatisMetricRegistryImpl;
import org.apache.ratis.thirdparty.com.codahale.metrics.Counter;
import org.apache.ratis.thirdparty.com.codahale.metrics.Metric;
import org.apache.ratis.thirdparty.com.codahale.metrics.MetricRegistry;
import org.apache.ratis.thirdparty.com.codahale.metrics.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bridges a few of Ratis's own metrics (kept in Ratis's Dropwizard registries, one per server
 * member) into the node's Micrometer registry, read at scrape time: log sync and flush latency,
 * append latency, and cache misses.
 *
 * <p>Ratis's timers keep only a count and an exponentially decaying sample of recent durations, so
 * a total time cannot be derived from them (the sample's mean times the count goes down whenever
 * recent durations are shorter than older ones). For the three log timers we export, {@link
 * #installSummingTimers()} makes Ratis use {@link SummingTimer}s, which also add up every duration
 * recorded: the exported {@code _count} and {@code _sum} are true running totals.
 *
 * <p>Ratis registries appear and disappear with the server member; each read looks the member's
 * registry up again. Totals of a registry that went away are kept (all of them, if a read saw that
 * registry at least once), so the exported counts and sums never go down while the node's registry
 * lives.
 */
public final class RatisMetricsBridge {
  private static final Logger LOG = LoggerFactory.getLogger(RatisMetricsBridge.class);
  private static final String LOG_COMPONENT = "log_worker";

  /** Ratis's names (SegmentedRaftLogMetrics) of the log timers we export. */
  static final String SYNC_TIME = "syncTime";

  static final String FLUSH_TIME = "flushTime";
  static final String APPEND_TIME = "appendEntryLatency";
  private static final List<String> SUMMED_TIMERS = List.of(SYNC_TIME, FLUSH_TIME, APPEND_TIME);

  private static boolean installed; // guarded by RatisMetricsBridge.class

  private final String memberPrefix;

  /** The objects our function meters read: Micrometer holds them weakly, so the bridge does. */
  private final List<Object> sources = new ArrayList<>();

  private RatisMetricsBridge(String nodeId) {
    this.memberPrefix = nodeId + "@";
  }

  /**
   * Registers the bridged meters for the Ratis member of node {@code nodeId}. Micrometer holds
   * function meters' objects weakly: the caller must keep the returned bridge. Call it before the
   * node's Raft server starts, so that its log timers are {@link SummingTimer}s.
   */
  public static RatisMetricsBridge bind(MeterRegistry registry, String nodeId) {
    installSummingTimers();
    RatisMetricsBridge b = new RatisMetricsBridge(nodeId);
    b.timer(registry, "sequencer.raft.log.sync", SYNC_TIME, "Raft log fsync time");
    b.timer(registry, "sequencer.raft.log.flush", FLUSH_TIME, "Raft log flush time");
    b.timer(
        registry,
        "sequencer.raft.log.append",
        APPEND_TIME,
        "Time to append one entry to the Raft log");
    Gauge.builder("sequencer.raft.log.sync.p99", b, x -> x.p99(SYNC_TIME))
        .description("99th percentile of Raft log fsync time over Ratis's recent window")
        .baseUnit("seconds")
        .register(registry);
    CounterTotal misses = b.new CounterTotal("cacheMissCount");
    FunctionCounter.builder("sequencer.raft.log.cache.misses", misses, CounterTotal::count)
        .description("Raft log reads that missed the segment cache (replay reads old entries)")
        .register(registry);
    b.sources.add(misses);
    return b;
  }

  /**
   * Makes every Ratis log-worker registry created from now on use {@link SummingTimer}s for the
   * timers we export. Idempotent. Ratis turns its JMX reporter on by default only when no one has
   * registered a reporter before its first registry; we register one, so we also turn JMX on then,
   * to leave Ratis's behaviour as it was.
   */
  static synchronized void installSummingTimers() {
    if (installed) {
      return;
    }
    MetricRegistries registries = MetricRegistries.global();
    boolean noRegistryYet = registries.getMetricRegistries().isEmpty();
    registries.addReporterRegistration(RatisMetricsBridge::addSummingTimers, r -> {});
    if (noRegistryYet) {
      registries.enableJmxReporter();
    }
    installed = true;
  }

  /**
   * Puts {@link SummingTimer}s in a new log-worker registry under the names Ratis will ask for:
   * Dropwizard's {@code MetricRegistry.timer(name)} returns the timer already registered under a
   * name, so Ratis records into ours.
   */
  private static void addSummingTimers(RatisMetricRegistry registry) {
    MetricRegistryInfo info = registry.getMetricRegistryInfo();
    if (!(registry instanceof RatisMetricRegistryImpl impl)
        || !LOG_COMPONENT.equals(info.getMetricsComponentName())) {
      return;
    }
    for (String name : SUMMED_TIMERS) {
      String full =
          MetricRegistry.name(
              info.getApplicationName(), info.getMetricsComponentName(), info.getPrefix(), name);
      try {
        impl.getDropWizardMetricRegistry().register(full, new SummingTimer());
      } catch (IllegalArgumentException e) {
        LOG.warn("Ratis timer {} already exists; its total time will not be exported", full);
      }
    }
  }

  private void timer(MeterRegistry registry, String name, String ratisName, String help) {
    TimerTotals totals = new TimerTotals(ratisName);
    FunctionTimer.builder(
            name, totals, TimerTotals::count, TimerTotals::totalNanos, TimeUnit.NANOSECONDS)
        .description(help + " (from Ratis)")
        .register(registry);
    sources.add(totals);
  }

  private double p99(String ratisName) {
    return metric(ratisName)
        .filter(Timer.class::isInstance)
        .map(m -> ((Timer) m).getSnapshot().get99thPercentile() / 1e9)
        .orElse(0.0);
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

  /**
   * Running totals of one of the member's Ratis timers, over every registry the member had: when
   * Ratis replaces the timer (the member was closed and made again), the old one's totals are
   * carried over. A timer that is not a {@link SummingTimer} (its registry was made before {@link
   * #installSummingTimers()}) has no total time and is left out.
   */
  private final class TimerTotals {
    private final String ratisName;
    private SummingTimer current;
    private long doneCount;
    private long doneNanos;
    private boolean warned;

    TimerTotals(String ratisName) {
      this.ratisName = ratisName;
    }

    synchronized long count() {
      SummingTimer t = refresh();
      return doneCount + (t == null ? 0 : t.totalCount());
    }

    synchronized double totalNanos() {
      SummingTimer t = refresh();
      return doneNanos + (t == null ? 0 : t.totalNanos());
    }

    private SummingTimer refresh() {
      Metric m = metric(ratisName).orElse(null);
      if (m == null || m == current) {
        return current;
      }
      if (m instanceof SummingTimer t) {
        if (current != null) {
          doneCount += current.totalCount();
          doneNanos += current.totalNanos();
        }
        current = t;
      } else if (!warned) {
        warned = true;
        LOG.warn(
            "Ratis timer {} of {} keeps no total time; sequencer_raft_log_* will not count it",
            ratisName,
            memberPrefix);
      }
      return current;
    }
  }

  /** A Ratis counter of the member, with the counts of registries that went away carried over. */
  private final class CounterTotal {
    private final String ratisName;
    private Counter current;
    private long done;

    CounterTotal(String ratisName) {
      this.ratisName = ratisName;
    }

    synchronized double count() {
      Metric m = metric(ratisName).orElse(null);
      if (m instanceof Counter c && c != current) {
        if (current != null) {
          done += current.getCount();
        }
        current = c;
      }
      return done + (current == null ? 0 : current.getCount());
    }
  }

  /**
   * A Ratis (shaded Dropwizard) timer that also keeps the number and the total of the durations it
   * records, as Prometheus counters need them. Every way of recording goes through {@link
   * #update(long, TimeUnit)}.
   */
  static final class SummingTimer extends Timer {
    private final LongAdder count = new LongAdder();
    private final LongAdder nanos = new LongAdder();

    @Override
    public void update(long duration, TimeUnit unit) {
      long n = unit.toNanos(duration);
      if (n >= 0) { // Timer drops negative durations too
        nanos.add(n);
        count.increment();
      }
      super.update(duration, unit);
    }

    @Override
    public void update(Duration duration) {
      update(duration.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public <T> T time(Callable<T> event) throws Exception {
      try (Context unused = time()) {
        return event.call();
      }
    }

    @Override
    public <T> T timeSupplier(Supplier<T> event) {
      try (Context unused = time()) {
        return event.get();
      }
    }

    @Override
    public void time(Runnable event) {
      try (Context unused = time()) {
        event.run();
      }
    }

    long totalCount() {
      return count.sum();
    }

    long totalNanos() {
      return nanos.sum();
    }
  }
}
