package org.calvinseq.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.calvinseq.server.admin.AdminServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link IdleSocketFlood} against the real admin server on an ephemeral loopback port: the
 * connection cap evicts idle connections, so probes keep being answered.
 */
class IdleSocketFloodTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  /** The admin server's eviction counter (docs/metrics.md). */
  private static final String EVICTED = "sequencer.admin.connections.evicted";

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final List<AutoCloseable> resources = new ArrayList<>();

  @AfterEach
  void closeEverything() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  /**
   * One bad local client holds 500 idle connections (eight times the cap) and reopens each as soon
   * as the server closes it; probes on fresh connections, as kubelet and Prometheus make them, keep
   * being answered. Before eviction every probe was closed unanswered at once. (Kubelet's default
   * probe timeout is 1 s; answers typically take tens of milliseconds here, but the build machine
   * may be shared and saturated, so a probe may take 5 s; the times are in the failure message.)
   */
  @Test
  void aFloodOfIdleConnectionsDoesNotDenyProbes() throws Exception {
    AdminServer server =
        AdminServer.builder()
            .meterRegistry(registry)
            .readinessCheck("has-leader", () -> true)
            .build()
            .start();
    resources.add(server);
    List<String> failures = new ArrayList<>();
    List<Long> probeMs = new ArrayList<>();
    String[] paths = {"/health", "/ready", "/metrics"};
    int inARow = 0;

    try (IdleSocketFlood flood = IdleSocketFlood.start(server.port(), 500)) {
      awaitTrue(() -> flood.maxConnected() >= AdminServer.DEFAULT_MAX_CONNECTIONS);
      long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      // At least 5 s and at least 10 probes: on a saturated machine the first probes take seconds.
      while (System.nanoTime() < end || probeMs.size() < 10) {
        String path = paths[probeMs.size() % paths.length];
        long startNanos = System.nanoTime();
        String failure = null;
        try {
          int status = IdleSocketFlood.probe(server.port(), path, Duration.ofSeconds(5));
          if (status != 200) {
            failure = path + " answered " + status;
          }
        } catch (IOException e) {
          failure = path + ": " + e;
        }
        probeMs.add((System.nanoTime() - startNanos) / 1_000_000);
        // A probe stalled between connect and request can lose its slot (operations.md); kubelet
        // acts on three failures in a row, so two in a row (of any path) fail here.
        if (failure == null) {
          inARow = 0;
        } else if (++inARow >= 2) {
          failures.add(failure + " (the second failure in a row)");
        }
        Thread.sleep(100);
      }
      assertThat(flood.opened()).isGreaterThan(500); // the server did close idle connections
    }

    assertThat(failures).as("probe times in ms: %s", probeMs).isEmpty();
    assertThat(registry.get(EVICTED).counter().count()).isPositive();
  }

  private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition not met in %s", TIMEOUT).isLessThan(deadline);
      Thread.sleep(10);
    }
  }
}
