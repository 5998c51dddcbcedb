package org.calvinseq.it.fault;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.testkit.LocalCluster;
import org.calvinseq.testkit.ProcessCommand;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * {@code bin/sequencer node} with a full disk: the follower answers /ready 503 ({@code
 * log_writable}), exits with status 3 about 15 s later, and once the space is back the supervisor
 * (the test kit, as systemd's {@code Restart=on-failure} would) starts it again and it catches up.
 * Needs a tmpfs (root); skipped otherwise.
 */
class DistributionDiskFullIT {
  private static final Path DIST = Path.of("..", "sequencer-cli", "target", "dist");

  @Test
  void theCliNodeExitsWithStatus3AndComesBackOnceTheDiskHasRoom() throws Exception {
    Path root = Files.createTempDirectory("calvinseq-cli-disk-full-");
    List<Path> mounts = new ArrayList<>();
    try {
      Assumptions.assumeTrue(
          DiskFull.detect(root) == DiskFull.Mode.TMPFS, "needs a tmpfs mount (root)");
      for (String id : List.of("n1", "n2", "n3")) {
        DiskFull.mount(root.resolve(id), 64);
        mounts.add(root.resolve(id));
      }
      try (LocalCluster cluster =
          LocalCluster.builder()
              .nodes(3)
              .root(root)
              .processes(
                  ProcessCommand.distribution(
                      DIST,
                      "--vshards",
                      "4",
                      "--log-segment-bytes",
                      "65536",
                      "--max-batch-bytes",
                      "16384"))
              .processEnvironment(
                  Map.of("JAVA_OPTS", "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1"))
              .logDir(Path.of("target", "fault-logs", "distribution-disk-full").toAbsolutePath())
              .restartOnExit(3)
              .build()
              .start()) {
        int leader = cluster.awaitLeader(Duration.ofSeconds(60));
        int f = (leader + 1) % 3;
        AtomicLong seq = new AtomicLong();
        BatchReceipt first = propose(cluster, seq.getAndIncrement());
        cluster.awaitApplied(first.epoch(), Duration.ofSeconds(30));
        int port = cluster.adminPort(f);

        Path filler = DiskFull.fill(cluster.dataDir(f));
        AtomicReference<String> ready = new AtomicReference<>("");
        LocalCluster.await(
            DiskFullIT.NOT_READY_WITHIN,
            () -> {
              propose(cluster, seq.getAndIncrement()); // the majority commits; f must write
              ready.set(DiskFullIT.get(port, "/ready"));
              return ready.get().startsWith("503 ")
                  && ready.get().contains("[-]log_writable failed: raft log write failed")
                  && ready.get().contains("No space left on device");
            },
            cluster.nodeId(f) + " to report that it cannot write its log",
            () -> "; last /ready: " + ready.get());
        Files.delete(filler);

        LocalCluster.await(
            Duration.ofSeconds(90),
            () -> cluster.supervisedRestarts(f).contains(3),
            cluster.nodeId(f) + " to exit with status 3 and be started again");
        assertThat(Files.readString(cluster.logFile(f)))
            .contains("node " + cluster.nodeId(f) + " stopped: raft log write failed at index")
            .contains("exiting with status 3");

        BatchReceipt last = propose(cluster, seq.getAndIncrement());
        cluster.awaitApplied(last.epoch(), Duration.ofSeconds(120));
        for (int i = 0; i < 3; i++) {
          int n = i;
          LocalCluster.await(
              Duration.ofSeconds(60),
              () -> DiskFullIT.get(cluster.adminPort(n), "/ready").startsWith("200 "),
              cluster.nodeId(n) + " to be ready",
              () -> "; last /ready: " + DiskFullIT.get(cluster.adminPort(n), "/ready"));
        }
        assertThat(cluster.supervisedRestarts(f)).containsExactly(3);
      }
    } finally {
      for (Path m : mounts) {
        DiskFull.unmount(m);
      }
      DiskFullIT.deleteTree(root);
    }
  }

  /**
   * Proposes one batch of two txns with 6 KiB payloads each: the follower's open 64 KiB log segment
   * (written into space taken before the disk filled) fills within a few batches, so the write that
   * fails comes soon even when the machine is slow. Small batches took up to ~300 proposals to get
   * there, more than a loaded machine made in 30 s.
   */
  private static BatchReceipt propose(LocalCluster cluster, long seq) {
    return cluster
        .client()
        .propose(
            EpochBatch.auto(System.currentTimeMillis(), List.of(padded(7, seq), padded(8, seq))))
        .join();
  }

  private static Txn padded(long clientId, long seq) {
    Txn t = LoadGenerator.txn(clientId, seq);
    return new Txn(t.clientTxnId(), t.tenantId(), t.readSet(), t.writeSet(), new byte[6 * 1024]);
  }
}
