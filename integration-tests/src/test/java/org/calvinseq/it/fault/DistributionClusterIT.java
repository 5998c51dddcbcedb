package org.calvinseq.it.fault;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.testkit.LocalCluster;
import org.calvinseq.testkit.ProcessCommand;
import org.junit.jupiter.api.Test;

/**
 * The test kit's process mode on the real distribution: three {@code bin/sequencer node} processes,
 * SIGKILL of the leader, restart, and reads of each node's own log and metrics.
 */
class DistributionClusterIT {
  private static final Path DIST = Path.of("..", "sequencer-cli", "target", "dist");

  @Test
  void distributionNodesSurviveALeaderKill() throws Exception {
    try (LocalCluster cluster =
        LocalCluster.builder()
            .nodes(3)
            .processes(ProcessCommand.distribution(DIST, "--vshards", "4"))
            .processEnvironment(
                Map.of("JAVA_OPTS", "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1"))
            .logDir(Path.of("target", "fault-logs", "distribution-cluster").toAbsolutePath())
            .build()
            .start()) {
      int leader = cluster.awaitLeader(Duration.ofSeconds(60));
      BatchReceipt first = propose(cluster, 0);
      cluster.awaitApplied(first.epoch(), Duration.ofSeconds(30));
      assertThat(FaultRun.metric(cluster.scrape(leader), "sequencer_raft_is_leader")).isEqualTo(1);

      long pid = cluster.pid(leader).orElseThrow();
      cluster.kill(leader);
      assertThat(ProcessHandle.of(pid)).isEmpty();
      assertThat(cluster.isRunning(leader)).isFalse();
      int next = cluster.awaitLeader(Duration.ofSeconds(60));
      assertThat(next).isNotEqualTo(leader);
      BatchReceipt second = propose(cluster, 1);
      assertThat(second.epoch()).isGreaterThan(first.epoch());

      cluster.restart(leader);
      cluster.awaitApplied(second.epoch(), Duration.ofSeconds(60));
      for (int v = 0; v < 4; v++) {
        List<SequencedTxn> reference = null;
        for (int i = 0; i < 3; i++) {
          List<SequencedTxn> got = new ArrayList<>();
          cluster.replay(i, v, 0, second.epoch()).forEachRemaining(got::add);
          if (reference == null) {
            reference = got;
          } else {
            assertThat(got).as("vshard %d on %s", v, cluster.nodeId(i)).isEqualTo(reference);
          }
        }
      }
    }
  }

  private static BatchReceipt propose(LocalCluster cluster, long seq) {
    return cluster
        .client()
        .propose(
            org.calvinseq.core.model.EpochBatch.auto(
                System.currentTimeMillis(),
                List.of(LoadGenerator.txn(7, seq), LoadGenerator.txn(8, seq))))
        .join();
  }
}
