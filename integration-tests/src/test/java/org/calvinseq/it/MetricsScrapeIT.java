package org.calvinseq.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.calvinseq.client.SequencerClient;
import org.calvinseq.testkit.LocalCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What a Prometheus server sees when it scrapes a loaded cluster: one real 3-node cluster with
 * admin endpoints, a steady stream of proposals, and the nodes' {@code /metrics} read over HTTP.
 * Counter-like samples must never go down between two scrapes of the same node (Prometheus reads a
 * decrease as a counter reset, and {@code rate()} of such a series is nonsense), and a full scrape
 * must pass {@code promtool check metrics}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MetricsScrapeIT {
  private static final int SCRAPE_ROUNDS = 16;
  private static final long SCRAPE_EVERY_MS = 500;

  private LocalCluster cluster;
  private SequencerClient client;
  private Thread load;
  private volatile boolean loading = true;
  private final AtomicLong sequenced = new AtomicLong();

  @BeforeAll
  void startClusterUnderLoad() throws Exception {
    cluster = LocalCluster.builder().nodes(3).adminEndpoints(true).build().start();
    cluster.awaitLeader(Duration.ofSeconds(30));
    client = SequencerClient.builder().peers(cluster.peers()).build();
    load = new Thread(this::propose, "metrics-scrape-it-load");
    load.setDaemon(true);
    load.start();
    LocalCluster.await(
        Duration.ofSeconds(30), () -> sequenced.get() >= 50, "the load to get going");
  }

  /** Keeps at most 8 small batches in flight until the test ends. */
  private void propose() {
    Random rnd = new Random(3);
    Semaphore inFlight = new Semaphore(8);
    long seq = 0;
    try {
      while (loading) {
        if (!inFlight.tryAcquire(100, TimeUnit.MILLISECONDS)) {
          continue;
        }
        client
            .propose(TestTxns.batch(rnd, 4, 8, 5, seq))
            .whenComplete(
                (r, e) -> {
                  inFlight.release();
                  if (e == null) {
                    sequenced.incrementAndGet();
                  }
                });
        seq += 4;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @AfterAll
  void stop() throws Exception {
    loading = false;
    if (load != null) {
      load.join(10_000);
    }
    if (client != null) {
      client.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void counterSamplesNeverDecreaseBetweenScrapesOfTheSameNode() throws Exception {
    List<Map<String, Double>> last = new ArrayList<>();
    for (int n = 0; n < 3; n++) {
      last.add(Map.of());
    }
    List<String> decreases = new ArrayList<>();
    int checked = 0;
    long before = sequenced.get();
    for (int round = 0; round < SCRAPE_ROUNDS; round++) {
      for (int n = 0; n < 3; n++) {
        Map<String, Double> now = counterSamples(scrape(n));
        for (Map.Entry<String, Double> e : now.entrySet()) {
          Double prev = last.get(n).get(e.getKey());
          if (prev != null) {
            checked++;
            if (e.getValue().isNaN() || e.getValue() < prev) {
              decreases.add(
                  "node %d, round %d: %s %s -> %s"
                      .formatted(n, round, e.getKey(), prev, e.getValue()));
            }
          }
        }
        last.set(n, now);
      }
      Thread.sleep(SCRAPE_EVERY_MS);
    }
    assertThat(sequenced.get() - before).as("batches sequenced while scraping").isPositive();
    assertThat(last.get(0))
        .as("counter-like samples of a scrape")
        .containsKeys(
            "sequencer_epochs_applied_total",
            "sequencer_raft_log_sync_seconds_count",
            "sequencer_raft_log_sync_seconds_sum",
            "sequencer_raft_log_flush_seconds_sum",
            "sequencer_raft_log_append_seconds_sum");
    assertThat(last.get(0).get("sequencer_raft_log_sync_seconds_count"))
        .as("Raft log syncs counted")
        .isPositive();
    assertThat(checked).as("sample pairs compared").isGreaterThan(1000);
    assertThat(decreases).as("counter-like samples that went down between scrapes").isEmpty();
  }

  @Test
  void aFullScrapeOfALoadedNodePassesPromtoolCheckMetrics() throws Exception {
    int leader = cluster.awaitLeader(Duration.ofSeconds(30));
    long target = sequenced.get() + 20;
    LocalCluster.await(Duration.ofSeconds(30), () -> sequenced.get() >= target, "more load");
    String text = scrape(leader);
    assertThat(text).contains("sequencer_raft_log_sync_seconds_sum", "jvm_memory_used_bytes");

    Process p =
        new ProcessBuilder(Promtool.path(), "check", "metrics").redirectErrorStream(true).start();
    try (var in = p.getOutputStream()) {
      in.write(text.getBytes(StandardCharsets.UTF_8));
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("promtool check metrics said:%n%s", out).isZero();
  }

  private String scrape(int node) throws IOException, InterruptedException {
    Http.Response r = Http.get(cluster.node(node).adminPort(), "/metrics");
    assertThat(r.status()).isEqualTo(200);
    return r.body();
  }

  /**
   * The samples of a Prometheus text scrape that may only go up, by series (name and labels): every
   * sample named {@code ..._total}, {@code _count}, {@code _sum} or {@code _bucket}, and every
   * sample of a family typed counter, histogram or summary, except a summary's quantiles.
   */
  static Map<String, Double> counterSamples(String text) {
    Map<String, Double> out = new LinkedHashMap<>();
    Map<String, String> types = new HashMap<>();
    String family = null;
    for (String line : text.split("\n")) {
      if (line.startsWith("# TYPE ")) {
        String[] parts = line.split(" ");
        family = parts[2];
        types.put(family, parts[3]);
        continue;
      }
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int brace = line.indexOf('{');
      int space = brace >= 0 ? line.indexOf(' ', line.lastIndexOf('}')) : line.indexOf(' ');
      String series = line.substring(0, space);
      String name = brace >= 0 ? line.substring(0, brace) : series;
      String[] rest = line.substring(space + 1).strip().split(" ");
      double value = Double.parseDouble(rest[0]);
      String type = family != null && name.startsWith(family) ? types.get(family) : null;
      boolean byName =
          name.endsWith("_total")
              || name.endsWith("_count")
              || name.endsWith("_sum")
              || name.endsWith("_bucket");
      boolean byType =
          "counter".equals(type)
              || "histogram".equals(type)
              || ("summary".equals(type) && !series.contains("quantile=\""));
      if (byName || byType) {
        out.put(series, value);
      }
    }
    return out;
  }
}
