package org.calvinseq.it.fault;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.calvinseq.it.engine.KvEngineMain;
import org.calvinseq.testkit.LocalCluster;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One follower's storage stops taking writes under load (see {@link DiskFull} for how, depending on
 * what this machine allows). Its Raft log fails; Ratis then refuses every later write of that log,
 * so the node cannot recover in place: it reports itself not ready (/ready 503 naming the failed
 * write, /status, {@code sequencer_raft_log_failed} 1), leaves the cluster and its process exits
 * with status 3 a few seconds later. The test kit, acting as the supervisor, starts it again once
 * the space is back, and the cluster regains three ready, caught-up members with no manual step;
 * the other two keep sequencing throughout and every engine ends identical.
 */
class DiskFullIT {
  private static final Logger LOG = LoggerFactory.getLogger(DiskFullIT.class);
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private static final ObjectMapper JSON = new ObjectMapper();

  /** How soon after the disk fills the node must say it is not ready (docs/embedding.md). */
  static final Duration NOT_READY_WITHIN = Duration.ofSeconds(30);

  /** How long the process serves its admin endpoint after the failure before it exits. */
  private static final long EXIT_DELAY_MS = 10_000;

  @Test
  void followerWithAFullDiskSaysSoLeavesAndComesBackThroughItsSupervisor() throws Exception {
    Path root = Files.createTempDirectory("calvinseq-disk-full-");
    List<Path> mounts = new ArrayList<>();
    try {
      DiskFull.Mode mode = DiskFull.detect(root);
      Assumptions.assumeTrue(
          mode != DiskFull.Mode.NONE,
          "no way to refuse writes here: mount needs CAP_SYS_ADMIN, prlimit is missing, and"
              + " read-only directories do not stop root");
      LOG.info("disk full through {}", mode);
      if (mode == DiskFull.Mode.TMPFS) {
        for (String id : List.of("n1", "n2", "n3")) {
          DiskFull.mount(root.resolve(id), 64);
          mounts.add(root.resolve(id));
        }
      }
      try (FaultRun run =
          FaultRun.processes("disk-full")
              .root(root)
              .restartOnExit(KvEngineMain.EXIT_LOG_FAILED)
              .args(
                  "--log-segment-bytes",
                  "65536",
                  "--max-batch-bytes",
                  "16384",
                  "--log-failed-exit-delay-ms",
                  Long.toString(EXIT_DELAY_MS))
              .start()) {
        LocalCluster cluster = run.cluster();
        run.awaitAcknowledged(200, Duration.ofSeconds(90));
        int leader = cluster.awaitLeader(Duration.ofSeconds(60));
        int f = (leader + 1) % 3;
        int port = cluster.adminPort(f);
        int generation = cluster.generation(f);
        Path filler = null;
        long filledAt = System.nanoTime();
        switch (mode) {
          case TMPFS -> filler = DiskFull.fill(cluster.dataDir(f));
          case FSIZE -> DiskFull.limitFileSize(cluster.pid(f).orElseThrow(), 4096);
          case READ_ONLY -> DiskFull.readOnly(cluster.dataDir(f), true);
          default -> throw new AssertionError(mode);
        }

        // It says so, within the documented time, while its process still runs.
        AtomicReference<String> ready = new AtomicReference<>("");
        LocalCluster.await(
            NOT_READY_WITHIN,
            () -> {
              ready.set(get(port, "/ready"));
              return ready.get().startsWith("503 ")
                  && ready.get().contains("[-]log_writable failed: raft log write failed");
            },
            "follower " + cluster.nodeId(f) + " to report that it cannot write its log",
            () -> "; last /ready: " + ready.get());
        LOG.info(
            "{} not ready {} ms after its disk filled: {}",
            cluster.nodeId(f),
            (System.nanoTime() - filledAt) / 1_000_000,
            ready.get());
        String status = get(port, "/status");
        String metrics = get(port, "/metrics");
        // Space comes back at once (the process exits EXIT_DELAY_MS after the failure, and the
        // supervisor must not start it on a disk that is still full).
        switch (mode) {
          case TMPFS -> Files.delete(filler);
          case READ_ONLY -> DiskFull.readOnly(cluster.dataDir(f), false);
          default -> {} // the limit dies with the process
        }
        assertThat(status).startsWith("200 ");
        JsonNode doc = JSON.readTree(status.substring(4));
        assertThat(doc.path("logFailure").asText()).startsWith("raft log write failed");
        assertThat(metrics).contains("sequencer_raft_log_failed 1.0");
        if (mode == DiskFull.Mode.TMPFS) {
          assertThat(ready.get()).contains("No space left on device");
        }

        // The other two go on and serve.
        int l = run.awaitLeaderOtherThan(f, Duration.ofSeconds(30));
        long at = cluster.status(l).lastAppliedEpoch();
        run.awaitAcknowledged(300, Duration.ofSeconds(60));
        assertThat(cluster.status(l).lastAppliedEpoch()).isGreaterThan(at);

        // The process exits with status 3 and the supervisor (the test kit) starts it again.
        LocalCluster.await(
            Duration.ofSeconds(120),
            () -> cluster.supervisedRestarts(f).contains(KvEngineMain.EXIT_LOG_FAILED),
            cluster.nodeId(f) + " to exit with status 3 and be started again");
        assertThat(cluster.generation(f)).isGreaterThan(generation);

        // Three ready, caught-up members, with no manual step.
        for (int i = 0; i < 3; i++) {
          int n = i;
          LocalCluster.await(
              Duration.ofSeconds(120),
              () -> get(cluster.adminPort(n), "/ready").startsWith("200 "),
              cluster.nodeId(n) + " to be ready (has a leader, caught up, log writable)",
              () -> "; last /ready: " + get(cluster.adminPort(n), "/ready"));
        }
        assertThat(cluster.supervisedRestarts(f)).containsOnly(KvEngineMain.EXIT_LOG_FAILED);
        // One ERROR line from the node says what happened (Ratis adds its own few lines while the
        // server closes), not a stack trace for every append the leader sends.
        String prefix = "node " + cluster.nodeId(f) + ": raft log write failed";
        try (Stream<String> lines = Files.lines(cluster.logFile(f))) {
          assertThat(lines.filter(line -> line.contains(prefix)).count()).isEqualTo(1);
        }
        run.finish();
      }
    } finally {
      for (Path m : mounts) {
        DiskFull.unmount(m);
      }
      deleteTree(root);
    }
  }

  /** "STATUS BODY" of a GET on the admin endpoint, or "-1 why" when it does not answer. */
  static String get(int port, String path) {
    if (port <= 0) {
      return "-1 no admin port";
    }
    try {
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return r.statusCode() + " " + r.body();
    } catch (IOException e) {
      return "-1 " + e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "-1 interrupted";
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
