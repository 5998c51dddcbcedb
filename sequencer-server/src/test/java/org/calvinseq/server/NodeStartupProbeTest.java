package org.calvinseq.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restarting node answers liveness probes at once: its admin endpoint starts before the Raft
 * server, whose start reads and checksums the whole log (tens of seconds with a large one). The
 * test holds the start just before the Raft server starts, through a package-private hook.
 */
class NodeStartupProbeTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @TempDir Path dir;

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final ExecutorService starter = Executors.newSingleThreadExecutor();

  @AfterEach
  void stopStarter() throws InterruptedException {
    starter.shutdownNow();
    assertThat(starter.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void healthAnswersAndReadySaysStartingWhileTheRaftServerStarts() throws Exception {
    CountDownLatch atRaftStart = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (SequencerNode node = OneMember.builder(dir).adminPort(0).build()) {
      node.beforeRaftStartForTest(
          () -> {
            atRaftStart.countDown();
            try {
              release.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
      Future<?> start =
          starter.submit(
              () -> {
                node.start();
                return null;
              });
      assertThat(atRaftStart.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
      int port = node.adminPort();

      HttpResponse<String> health;
      HttpResponse<String> ready;
      HttpResponse<String> status;
      HttpResponse<String> metrics;
      try {
        assertThat(port).as("admin port while the Raft server starts").isPositive();
        health = get(port, "/health");
        ready = get(port, "/ready");
        status = get(port, "/status");
        metrics = get(port, "/metrics");
        assertThat(start.isDone()).as("start() still holding").isFalse();
      } finally {
        release.countDown();
      }

      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(ready.body())
          .startsWith("[-]started failed: starting: loading log\n")
          .endsWith("not ready\n");
      assertThat(status.statusCode()).isEqualTo(200);
      assertThat(status.body()).contains("\"nodeId\":\"n1\"").contains("\"state\":\"starting\"");
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.body()).contains("sequencer_admin_requests_total");

      start.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(get(port, "/status").body()).contains("\"state\":\"running\"");
      // A one-member cluster elects itself: ready once it has.
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      HttpResponse<String> readyAfter = get(port, "/ready");
      while (readyAfter.statusCode() != 200 && System.nanoTime() < deadline) {
        Thread.sleep(100);
        readyAfter = get(port, "/ready");
      }
      assertThat(readyAfter.statusCode()).as(readyAfter.body()).isEqualTo(200);
      assertThat(readyAfter.body()).startsWith("[+]started ok\n");
    }
  }

  private HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
