package org.calvinseq.it.fault;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.calvinseq.server.NodeInternals;
import org.calvinseq.testkit.LocalCluster;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bounded soak: steady load on three nodes (with snapshots, log rolls and purges all along) for
 * {@code calvinseq.soak.seconds} seconds (default 90; set it higher for a longer run). Heap after
 * GC, open file descriptors and threads must stay flat, and consumers that keep up must get every
 * delivery live: nothing dropped, nothing replayed.
 *
 * <p>The state a node keeps for a while by design is bounded in log time, not in count: a txn's
 * completion state stays 10 minutes of epoch time after its first ack. So that this reaches its
 * steady state within the soak, the load's proposer clock runs {@link #TIME_SPEEDUP} times faster
 * than the wall clock (epoch time is the proposers' time, made monotonic), and the heap is compared
 * between the middle and the end of the run, after that warm-up.
 */
class SoakIT {
  private static final Logger LOG = LoggerFactory.getLogger(SoakIT.class);
  private static final long SECONDS = Long.getLong("calvinseq.soak.seconds", 90);
  private static final Duration SAMPLE = Duration.ofSeconds(5);
  static final int TIME_SPEEDUP = 40;

  private record Sample(
      long second, long heapBytes, long fds, int threads, int acked, long completions) {}

  @Test
  void steadyLoadKeepsResourcesFlatAndDropsNothing() throws Exception {
    try (FaultRun run =
        FaultRun.inProcess("soak")
            .recordConsumers(false)
            .loadClock(fastClock())
            .node(
                b ->
                    b.snapshotEvery(2000)
                        .replayRetention(2000)
                        .logSegmentBytes(1 << 20)
                        .limits(
                            new org.calvinseq.core.codec.ProposalLimits(
                                256 * 1024, 10_000, 64, 4096)))
            .start()) {
      LocalCluster cluster = run.cluster();
      run.awaitAcknowledged(200, Duration.ofSeconds(60));
      List<Sample> samples = new ArrayList<>();
      long start = System.nanoTime();
      long next = start;
      while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(SECONDS)) {
        samples.add(
            sample(
                cluster,
                (System.nanoTime() - start) / 1_000_000_000L,
                run.load().acknowledgedCount()));
        next += SAMPLE.toNanos();
        LockSupport.parkNanos(Math.max(0, next - System.nanoTime())); // the sampling cadence
      }
      samples.add(sample(cluster, SECONDS, run.load().acknowledgedCount()));
      samples.forEach(s -> LOG.info("soak sample {}", s));

      // Compare the middle third (after the warm-up) with the last third, by their medians.
      int third = Math.max(1, samples.size() / 3);
      Sample early = median(samples.subList(third, 2 * third));
      Sample late = median(samples.subList(samples.size() - third, samples.size()));
      assertThat(late.acked() - early.acked())
          .as("the load went on through the soak")
          .isGreaterThan((int) (SECONDS * 20));
      assertThat(late.heapBytes())
          .as("heap after GC, late vs early (%s)", samples)
          .isLessThan(early.heapBytes() + early.heapBytes() / 4 + (16 << 20));
      assertThat(late.fds()).as("open file descriptors (%s)", samples).isLessThan(early.fds() + 24);
      assertThat(late.threads()).as("live threads (%s)", samples).isLessThan(early.threads() + 16);

      run.finish();
      for (int i = 0; i < cluster.size(); i++) {
        String m = cluster.scrape(i);
        assertThat(Scrapes.sum(m, "sequencer_drops_total"))
            .as("live deliveries dropped on %s", cluster.nodeId(i))
            .isIn(0.0, Double.NaN);
        assertThat(Scrapes.sum(m, "sequencer_deliveries_total", "path=\"replay\""))
            .as("deliveries through replay on %s", cluster.nodeId(i))
            .isZero();
        assertThat(Scrapes.sum(m, "sequencer_deliveries_total", "path=\"live\""))
            .as("live deliveries on %s", cluster.nodeId(i))
            .isPositive();
        assertThat(Scrapes.sum(m, "sequencer_snapshots_total"))
            .as("snapshots on %s", cluster.nodeId(i))
            .isGreaterThanOrEqualTo(1);
      }
    }
  }

  /** Wall-clock time running {@link #TIME_SPEEDUP} times faster from now on. */
  private static java.time.InstantSource fastClock() {
    long start = System.currentTimeMillis();
    long startNanos = System.nanoTime();
    return () ->
        java.time.Instant.ofEpochMilli(
            start + (System.nanoTime() - startNanos) / 1_000_000 * TIME_SPEEDUP);
  }

  private static Sample sample(LocalCluster cluster, long second, int acked) throws IOException {
    long completions = 0;
    for (var n : cluster.running()) {
      completions += NodeInternals.core(n).completions().trackedCount();
    }
    System.gc();
    long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    long fds;
    try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
      fds = s.count();
    }
    return new Sample(second, heap, fds, Thread.activeCount(), acked, completions);
  }

  private static Sample median(List<Sample> s) {
    List<Long> heap = s.stream().map(Sample::heapBytes).sorted().toList();
    List<Long> fds = s.stream().map(Sample::fds).sorted().toList();
    List<Integer> threads = s.stream().map(Sample::threads).sorted().toList();
    List<Integer> acked = s.stream().map(Sample::acked).sorted().toList();
    int m = s.size() / 2;
    List<Long> completions = s.stream().map(Sample::completions).sorted().toList();
    return new Sample(
        s.get(m).second(),
        heap.get(m),
        fds.get(m),
        threads.get(m),
        acked.get(m),
        completions.get(m));
  }
}
