package org.calvinseq.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.calvinseq.core.apply.ApplyResult;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.server.SequencerNode;
import org.calvinseq.server.testkit.LocalCluster;
import org.junit.jupiter.api.Test;

/**
 * The vshard count is recorded in the log itself (a cluster-init entry): a node that joins with an
 * empty data directory and another vshard count, and catches up by log replay (no snapshot to check
 * it against), stops at that entry, reports why, and the cluster goes on without it.
 */
class ClusterInitIT {
  private static final int VSHARDS = 16;

  @Test
  void aNodeReplayingTheLogWithAnotherVShardCountRefuses() throws Exception {
    try (LocalCluster cluster =
        LocalCluster.builder()
            .nodes(3)
            .adminEndpoints(true)
            .configure(b -> b.vshardCount(VSHARDS))
            .build()
            .start()) {
      int leader = cluster.awaitLeader(Duration.ofSeconds(30));
      Random rnd = new Random(11);
      for (int i = 0; i < 20; i++) {
        cluster.client().propose(TestTxns.batch(rnd, 2, 8, i, 0)).join();
      }
      int wrong = (leader + 1) % 3;
      cluster.stop(wrong);
      cluster.wipe(wrong);

      try (SequencerNode node =
          SequencerNode.builder()
              .nodeId(cluster.nodeId(wrong))
              .peers(cluster.peersString())
              .dataDir(cluster.dataDir(wrong))
              .vshardCount(VSHARDS * 2)
              .adminPort(0)
              .build()) {
        node.start();
        // Ratis's leader resends its log to the wiped follower once new entries fail to append
        // there (heartbeats alone do not reset its next index): keep the cluster writing.
        long epoch = 19;
        for (int i = 0; i < 600 && !node.clusterMismatch().isDone(); i++) {
          BatchReceipt r = cluster.client().propose(TestTxns.batch(rnd, 1, 8, 20 + i, 0)).join();
          assertThat(r.outcome()).isEqualTo(ApplyResult.Kind.APPLIED);
          epoch = r.epoch();
          Thread.sleep(100);
        }
        String reason = node.clusterMismatch().get(30, TimeUnit.SECONDS);
        assertThat(reason)
            .contains("cluster-init entry at index")
            .contains("records vshardCount=" + VSHARDS)
            .contains("configured with vshardCount=" + (VSHARDS * 2));
        Http.Response ready = Http.get(node.adminPort(), "/ready?verbose");
        assertThat(ready.status()).isEqualTo(503);
        assertThat(ready.body()).contains("[-]cluster_settings failed: " + reason);
        assertThat(Http.get(node.adminPort(), "/status").body())
            .contains("\"clusterMismatch\"")
            .contains("records vshardCount=" + VSHARDS);
        assertThat(node.currentCommittedEpoch())
            .as("it stopped applying at the cluster-init entry, before the batches")
            .isLessThan(19);

        // The two others go on sequencing.
        BatchReceipt r = cluster.client().propose(TestTxns.batch(rnd, 1, 8, 10_000, 0)).join();
        assertThat(r.outcome()).isEqualTo(ApplyResult.Kind.APPLIED);
        assertThat(r.epoch()).isEqualTo(epoch + 1);
      }
    }
  }

  @Test
  void theLeaderRefusesAClusterInitEntryThatDisagreesWithIt() throws Exception {
    try (LocalCluster cluster =
        LocalCluster.builder().nodes(3).configure(b -> b.vshardCount(VSHARDS)).build().start()) {
      cluster.awaitLeader(Duration.ofSeconds(30));
      byte[] hostile =
          org.calvinseq.core.codec.EntryEncoder.encode(
              new org.calvinseq.core.model.ClusterInit(VSHARDS + 1, "calvinseq"));
      assertThat(cluster.client().proposeRaw(hostile))
          .failsWithin(Duration.ofSeconds(30))
          .withThrowableThat()
          .withMessageContaining("proposal rejected: cluster-init entry disagrees with the leader")
          .withMessageContaining("records vshardCount=" + (VSHARDS + 1));
      byte[] same =
          org.calvinseq.core.codec.EntryEncoder.encode(
              new org.calvinseq.core.model.ClusterInit(VSHARDS, "calvinseq"));
      BatchReceipt again = cluster.client().proposeRaw(same).join();
      assertThat(again.outcome()).isEqualTo(ApplyResult.Kind.CLUSTER_INIT);
      BatchReceipt r = cluster.client().propose(TestTxns.batch(new Random(1), 1, 8, 1, 0)).join();
      assertThat(r.outcome()).isEqualTo(ApplyResult.Kind.APPLIED);
      assertThat(cluster.running()).allMatch(n -> !n.clusterMismatch().isDone());
    }
  }
}
