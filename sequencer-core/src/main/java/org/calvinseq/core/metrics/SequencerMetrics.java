package org.calvinseq.core.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.util.function.LongSupplier;

/**
 * Every meter of the apply path, registered once at start-up. Names carry the {@code sequencer}
 * prefix; tags take only a few fixed values (no per-vshard or per-tenant labels: sums and maxima
 * instead), so the series count does not grow with the data.
 *
 * <p>The apply path adds to these once per batch, not once per txn. It reads its gauges through
 * suppliers ({@link Gauges}), so this package depends on no other package of the core.
 */
public final class SequencerMetrics {
  private final MeterRegistry registry;
  private final Counter epochsApplied;
  private final Counter epochGaps;
  private final Counter epochGapSize;
  private final Counter staleEpochs;
  private final Counter outOfRangeEpochs;
  private final Counter decodeErrors;
  private final Counter txnsSequenced;
  private final Counter deliveredLive;
  private final Counter deliveredReplay;
  private final Counter droppedFull;
  private final Counter droppedClosed;
  private final Counter skippedBehind;
  private final Counter acksApplied;
  private final Counter completions;
  private final Counter duplicates;
  private final Counter tooOld;
  private final Counter clientsExpired;
  private final Counter clientsEvicted;
  private final DistributionSummary batchTxns;
  private final Timer applyTime;

  public SequencerMetrics(MeterRegistry registry) {
    this.registry = registry;
    epochsApplied =
        Counter.builder("sequencer.epochs.applied")
            .description("Epoch batches applied (including those that closed a gap)")
            .register(registry);
    epochGaps =
        Counter.builder("sequencer.epoch.gaps")
            .description("Batches that named an epoch above the expected one")
            .register(registry);
    epochGapSize =
        Counter.builder("sequencer.epoch.gap.epochs")
            .description("Epoch numbers skipped by gaps")
            .register(registry);
    staleEpochs =
        Counter.builder("sequencer.epochs.stale")
            .description("Batches that named an epoch below the expected one (never applied)")
            .register(registry);
    outOfRangeEpochs =
        Counter.builder("sequencer.epochs.out.of.range")
            .description(
                "Batches that named an epoch too far above the expected one (skipped, no epoch)")
            .register(registry);
    decodeErrors =
        Counter.builder("sequencer.decode.errors")
            .description("Log entries that could not be decoded and were skipped")
            .register(registry);
    txnsSequenced =
        Counter.builder("sequencer.txns.sequenced")
            .description("Transactions given an (epoch, position)")
            .register(registry);
    deliveredLive = deliveries("live");
    deliveredReplay = deliveries("replay");
    droppedFull = drops("full");
    droppedClosed = drops("closed");
    skippedBehind = drops("behind");
    acksApplied =
        Counter.builder("sequencer.acks.applied")
            .description("Completion acks applied")
            .register(registry);
    completions =
        Counter.builder("sequencer.completions")
            .description("Transactions whose every participant acked")
            .register(registry);
    duplicates = notSequenced("duplicate");
    tooOld = notSequenced("sequence_too_old");
    clientsExpired = clientsForgotten("expired");
    clientsEvicted = clientsForgotten("capacity");
    batchTxns =
        DistributionSummary.builder("sequencer.batch.txns")
            .description("Transactions per applied batch")
            .serviceLevelObjectives(1, 10, 100, 1_000, 10_000)
            .register(registry);
    applyTime =
        Timer.builder("sequencer.apply")
            .description("Time to apply one log entry, decode and fan-out included")
            .serviceLevelObjectives(
                java.time.Duration.ofNanos(100_000),
                java.time.Duration.ofMillis(1),
                java.time.Duration.ofMillis(10),
                java.time.Duration.ofMillis(100))
            .register(registry);
  }

  private Counter deliveries(String path) {
    return Counter.builder("sequencer.deliveries")
        .description(
            "Transactions handed to a vshard consumer, by path (replay means it fell behind)")
        .tag("path", path)
        .register(registry);
  }

  private Counter notSequenced(String reason) {
    return Counter.builder("sequencer.txns.not.sequenced")
        .description(
            "Txns of applied batches not sequenced because their client txn id says they are"
                + " retries, by reason: duplicate (sequenced before; the receipt gives its id)"
                + " or sequence_too_old (below the client's window; refused)")
        .tag("reason", reason)
        .register(registry);
  }

  private Counter clientsForgotten(String reason) {
    return Counter.builder("sequencer.dedupe.clients.forgotten")
        .description(
            "Client ids the de-duplication state forgot, by reason: expired (idle 24 h of epoch"
                + " time) or capacity (the least recently seen, to make room)")
        .tag("reason", reason)
        .register(registry);
  }

  private Counter drops(String reason) {
    return Counter.builder("sequencer.drops")
        .description("Live deliveries not made, by reason; the consumer replays them later")
        .tag("reason", reason)
        .register(registry);
  }

  /**
   * Metrics that record nothing: a registry without backends, so every meter is a no-op and {@link
   * #counters()} reads zeros. For a state machine built without metrics (tests, benchmarks).
   */
  public static SequencerMetrics noop() {
    return new SequencerMetrics(new CompositeMeterRegistry());
  }

  /**
   * What the gauges read, each a read-only view of state the apply path owns; called from the
   * scraping thread.
   */
  public record Gauges(
      LongSupplier lastAppliedEpoch,
      LongSupplier lastAppliedIndex,
      LongSupplier vshardsBehind,
      LongSupplier queuedTxns,
      LongSupplier maxQueueDepth,
      LongSupplier pendingCompletions,
      LongSupplier dedupeClients) {}

  /** Registers the gauges of the apply path, its queues and its completion registry. */
  public void bindGauges(Gauges g) {
    gauge(
        "sequencer.last.applied.epoch",
        "Last applied epoch (-1 before the first)",
        g.lastAppliedEpoch());
    gauge(
        "sequencer.last.applied.index",
        "Raft index of the last applied entry",
        g.lastAppliedIndex());
    gauge(
        "sequencer.vshards.behind",
        "Hosted vshards whose consumer must catch up by replay",
        g.vshardsBehind());
    gauge("sequencer.queued.txns", "Txns waiting in all vshard queues", g.queuedTxns());
    gauge(
        "sequencer.queue.depth.max", "Txns waiting in the fullest vshard queue", g.maxQueueDepth());
    gauge(
        "sequencer.completions.pending",
        "Transactions with some but not all acks",
        g.pendingCompletions());
    gauge(
        "sequencer.dedupe.clients",
        "Client ids whose sequenced txns the de-duplication state remembers",
        g.dedupeClients());
  }

  private void gauge(String name, String help, LongSupplier f) {
    // Strong: the supplier is a lambda nobody else holds, and a weak one would read NaN after GC.
    Gauge.builder(name, f, LongSupplier::getAsLong)
        .strongReference(true)
        .description(help)
        .register(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  /**
   * A batch became an epoch.
   *
   * @param txns the batch's txns
   * @param sequenced those of them that took their position (the others were retries)
   * @param gapEpochs epochs skipped before it
   */
  public void batchApplied(int txns, int sequenced, long gapEpochs) {
    epochsApplied.increment();
    txnsSequenced.increment(sequenced);
    batchTxns.record(txns);
    if (gapEpochs > 0) {
      epochGaps.increment();
      epochGapSize.increment(gapEpochs);
    }
  }

  public void fanOut(long live, long full, long closed, long behind) {
    if (live > 0) {
      deliveredLive.increment(live);
    }
    if (full > 0) {
      droppedFull.increment(full);
    }
    if (closed > 0) {
      droppedClosed.increment(closed);
    }
    if (behind > 0) {
      skippedBehind.increment(behind);
    }
  }

  /**
   * What de-duplication did for one batch: txns not sequenced as duplicates and as too old, and
   * client ids forgotten by expiry and for capacity.
   */
  public void dedupe(long duplicate, long sequenceTooOld, long expired, long evicted) {
    if (duplicate > 0) {
      duplicates.increment(duplicate);
    }
    if (sequenceTooOld > 0) {
      tooOld.increment(sequenceTooOld);
    }
    if (expired > 0) {
      clientsExpired.increment(expired);
    }
    if (evicted > 0) {
      clientsEvicted.increment(evicted);
    }
  }

  public void stale() {
    staleEpochs.increment();
  }

  public void outOfRange() {
    outOfRangeEpochs.increment();
  }

  public void decodeError() {
    decodeErrors.increment();
  }

  public void acks(int applied, int completed) {
    acksApplied.increment(applied);
    if (completed > 0) {
      completions.increment(completed);
    }
  }

  public void replayDelivered(long n) {
    deliveredReplay.increment(n);
  }

  /** The counters as typed values, read now (each counter on its own: not one atomic cut). */
  public SequencerCounters counters() {
    return new SequencerCounters(
        n(epochsApplied),
        n(epochGaps),
        n(epochGapSize),
        n(staleEpochs),
        n(decodeErrors),
        n(txnsSequenced),
        n(deliveredLive),
        n(deliveredReplay),
        n(droppedFull),
        n(droppedClosed),
        n(skippedBehind),
        n(acksApplied),
        n(completions),
        n(duplicates),
        n(tooOld));
  }

  private static long n(Counter c) {
    return (long) c.count();
  }

  /** Recorded by the driver around each apply call; the apply path itself reads no clock. */
  public Timer applyTimer() {
    return applyTime;
  }
}
