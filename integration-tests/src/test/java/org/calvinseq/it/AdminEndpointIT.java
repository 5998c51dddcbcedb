package org.calvinseq.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.calvinseq.server.SequencerNode;
import org.calvinseq.testkit.IdleSocketFlood;
import org.calvinseq.testkit.LocalCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin endpoint of real nodes: metrics pass promtool, /ready follows the leader, a flood of
 * idle connections does not lock probes out.
 */
class AdminEndpointIT {
  @TempDir Path tmp;

  @Test
  void metricsPassPromtoolAndReadyFailsWithoutLeader() throws Exception {
    try (LocalCluster cluster =
        LocalCluster.builder()
            .nodes(3)
            .adminEndpoints(true)
            .configure(b -> b.vshardCount(16))
            .build()
            .start()) {
      cluster.awaitLeader(Duration.ofSeconds(30));
      Random rnd = new Random(1);
      for (int i = 0; i < 20; i++) {
        cluster.client().propose(TestTxns.batch(rnd, 10, 8, 3, i * 10L)).join();
      }
      cluster.awaitApplied(19, Duration.ofSeconds(30));
      SequencerNode n0 = cluster.node(0);
      int port = n0.adminPort();
      assertThat(port).isPositive();

      LocalCluster.await(
          Duration.ofSeconds(20), () -> status(port, "/ready") == 200, "node 0 to be ready");
      Http.Response metrics = Http.get(port, "/metrics");
      assertThat(metrics.status()).isEqualTo(200);
      assertThat(metrics.contentType()).startsWith("text/plain");
      assertThat(metrics.body())
          .contains("sequencer_epochs_applied_total 20.0")
          .contains("sequencer_txns_sequenced_total 200.0")
          .contains("sequencer_raft_has_leader 1.0")
          .contains("sequencer_build_info{")
          .contains("jvm_memory_used_bytes")
          .contains("sequencer_raft_log_sync_seconds_count");
      assertThat(
              metrics
                  .body()
                  .lines()
                  .filter(l -> l.startsWith("sequencer_raft_log_sync_seconds_count "))
                  .mapToDouble(l -> Double.parseDouble(l.substring(l.indexOf(' ') + 1)))
                  .sum())
          .as(
              "Ratis log syncs bridged in: %s",
              metrics.body().lines().filter(l -> l.startsWith("sequencer_raft_log")).toList())
          .isPositive();
      Http.Response open =
          Http.get(port, "/metrics", "application/openmetrics-text; version=1.0.0");
      assertThat(open.contentType()).startsWith("application/openmetrics-text");
      assertThat(open.body()).contains("# EOF");

      // promtool checks the exposition of our own families.
      String ours =
          metrics
              .body()
              .lines()
              .filter(l -> l.contains("sequencer_"))
              .collect(Collectors.joining("\n", "", "\n"));
      Path file = tmp.resolve("metrics.txt");
      Files.writeString(file, ours);
      Process p =
          new ProcessBuilder("sh", "-c", Promtool.path() + " check metrics < " + file)
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes());
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as("promtool check metrics said:\n%s", out).isZero();

      Http.Response status = Http.get(port, "/status");
      assertThat(status.body()).contains("\"lastAppliedEpoch\":19").contains("\"nodeId\":\"n1\"");

      // Two nodes down: the survivor loses its leader and stops being ready.
      cluster.stop(1);
      cluster.stop(2);
      LocalCluster.await(
          Duration.ofSeconds(30), () -> status(port, "/ready") == 503, "node 0 to be unready");
      Http.Response ready = Http.get(port, "/ready");
      assertThat(ready.body()).contains("[-]has_leader");
      assertThat(Http.get(port, "/health").status()).isEqualTo(200);
    }
  }

  /**
   * One bad local client, 500 idle sockets reopened as the node closes them for 20 s, does not lock
   * probes (fresh connections, as kubelet makes them) or scrapes out of a real node's endpoint. A
   * probe may take up to 5 s: the build machine may be saturated; answers typically take tens of
   * milliseconds.
   */
  @Test
  void probesAndScrapesKeepWorkingThroughAFloodOfIdleConnections() throws Exception {
    try (LocalCluster cluster =
        LocalCluster.builder()
            .nodes(1)
            .adminEndpoints(true)
            .configure(b -> b.vshardCount(16))
            .build()
            .start()) {
      cluster.awaitLeader(Duration.ofSeconds(30));
      int port = cluster.node(0).adminPort();
      LocalCluster.await(
          Duration.ofSeconds(20), () -> status(port, "/ready") == 200, "node 0 to be ready");
      // A probe whose client stalls between connecting and sending its request, while the flood
      // reopens sockets as fast as it can, can lose its slot to eviction (docs/operations.md):
      // kubelet acts only on failureThreshold (3) failures in a row, so two in a row fail here.
      List<String> failures = new ArrayList<>();
      List<String> allFailures = new ArrayList<>();
      List<Long> probeMs = new ArrayList<>();

      try (IdleSocketFlood flood = IdleSocketFlood.start(port, 500)) {
        LocalCluster.await(
            Duration.ofSeconds(10), () -> flood.maxConnected() >= 64, "the flood to fill the cap");
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        Map<String, Integer> failedInARow = new HashMap<>();
        while (System.nanoTime() < end) {
          for (String path : List.of("/health", "/ready", "/metrics")) {
            long startNanos = System.nanoTime();
            String failure = null;
            try {
              int code = IdleSocketFlood.probe(port, path, Duration.ofSeconds(5));
              if (code != 200) {
                failure = path + " answered " + code;
              }
            } catch (IOException e) {
              failure = path + ": " + e;
            }
            probeMs.add((System.nanoTime() - startNanos) / 1_000_000);
            if (failure == null) {
              failedInARow.put(path, 0);
            } else {
              allFailures.add(failure);
              if (failedInARow.merge(path, 1, Integer::sum) >= 2) {
                failures.add(failure + " (the second in a row)");
              }
            }
          }
          Thread.sleep(250);
        }
        assertThat(flood.opened()).isGreaterThan(500); // the node did close idle sockets
      }

      assertThat(failures)
          .as("probe times in ms: %s; isolated failures: %s", probeMs, allFailures)
          .isEmpty();
      assertThat(allFailures).as("isolated failures").hasSizeLessThanOrEqualTo(probeMs.size() / 20);
      assertThat(probeMs).hasSizeGreaterThanOrEqualTo(30);
      double evicted =
          Http.get(port, "/metrics")
              .body()
              .lines()
              .filter(l -> l.startsWith("sequencer_admin_connections_evicted_total "))
              .mapToDouble(l -> Double.parseDouble(l.substring(l.indexOf(' ') + 1)))
              .sum();
      assertThat(evicted).isPositive();
    }
  }

  private static int status(int port, String path) {
    try {
      return Http.get(port, path).status();
    } catch (Exception e) {
      return -1;
    }
  }
}
