package org.calvinseq.it.fault;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.calvinseq.core.protocol.NodeStatus;
import org.calvinseq.server.testkit.LocalCluster;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One follower's storage stops taking writes under load (see {@link DiskFull} for how, depending on
 * what this machine allows): that follower falls out, the other two keep sequencing and the cluster
 * keeps serving; once the space is back and the follower restarts, it catches up and its engine
 * ends identical to the others.
 */
class DiskFullIT {
  private static final Logger LOG = LoggerFactory.getLogger(DiskFullIT.class);

  @Test
  void followerWithAFullDiskFailsAloneAndRecovers() throws Exception {
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
              .args("--log-segment-bytes", "65536", "--max-batch-bytes", "16384")
              .start()) {
        LocalCluster cluster = run.cluster();
        run.awaitAcknowledged(200, Duration.ofSeconds(90));
        int leader = cluster.awaitLeader(Duration.ofSeconds(60));
        int f = (leader + 1) % 3;
        Path filler = null;
        switch (mode) {
          case TMPFS -> filler = DiskFull.fill(cluster.dataDir(f));
          case FSIZE -> DiskFull.limitFileSize(cluster.pid(f).orElseThrow(), 4096);
          case READ_ONLY -> DiskFull.readOnly(cluster.dataDir(f), true);
          default -> throw new AssertionError(mode);
        }

        LocalCluster.await(
            Duration.ofSeconds(90),
            () -> {
              NodeStatus s = cluster.status(f);
              long ahead = -1;
              for (int i = 0; i < 3; i++) {
                NodeStatus o = i == f ? null : cluster.status(i);
                ahead = Math.max(ahead, o == null ? -1 : o.lastAppliedIndex());
              }
              return s == null || "UNKNOWN".equals(s.role()) || ahead - s.lastAppliedIndex() > 300;
            },
            "follower " + cluster.nodeId(f) + " to fall out on its full disk");
        NodeStatus broken = cluster.status(f);
        LOG.info("{} with a full disk: {}", cluster.nodeId(f), broken);

        // The other two go on and serve.
        int l = run.awaitLeaderOtherThan(f, Duration.ofSeconds(30));
        long at = cluster.status(l).lastAppliedEpoch();
        run.awaitAcknowledged(300, Duration.ofSeconds(60));
        assertThat(cluster.status(l).lastAppliedEpoch()).isGreaterThan(at);
        NodeStatus still = cluster.status(f);
        assertThat(still == null ? -1 : still.lastAppliedEpoch())
            .as("the full follower did not keep up meanwhile")
            .isLessThan(cluster.status(l).lastAppliedEpoch());

        // Space comes back; the follower restarts and catches up.
        cluster.kill(f);
        switch (mode) {
          case TMPFS -> Files.delete(filler);
          case READ_ONLY -> DiskFull.readOnly(cluster.dataDir(f), false);
          default -> {} // the limit died with the process
        }
        cluster.restart(f);
        run.finish();
      }
    } finally {
      for (Path m : mounts) {
        DiskFull.unmount(m);
      }
      deleteTree(root);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
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
