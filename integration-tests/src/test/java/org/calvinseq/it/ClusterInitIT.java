package org.calvinseq.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.calvinseq.client.ClusterAdmin;
import org.calvinseq.client.SequencerClient;
import org.calvinseq.core.apply.ApplyResult;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.server.SequencerNode;
import org.calvinseq.testkit.FreePorts;
import org.calvinseq.testkit.LocalCluster;
import org.junit.jupiter.api.Test;

/**
 * The vshard count is recorded in the log itself (a cluster-init entry): a node that joins with an
 * empty data directory and another vshard count, and catches up by log replay (no snapshot to check
 * it against), stops at that entry, reports why, and the cluster goes on without it.
 */
class ClusterInitIT {
  private static final int VSHARDS = 16;

  @Test
  void aNewMemberReplayingTheLogWithAnotherVShardCountRefuses() throws Exception {
    try (LocalCluster cluster =
        LocalCluster.builder()
            .nodes(3)
            .adminEndpoints(true)
            .configure(b -> b.vshardCount(VSHARDS))
            .build()
            .start()) {
      cluster.awaitLeader(Duration.ofSeconds(30));
      Random rnd = new Random(11);
      BatchReceipt before = null;
      for (int i = 0; i < 20; i++) {
        before = cluster.client().propose(TestTxns.batch(rnd, 2, 8, i, 0)).join();
      }
      // A fourth member joins with an empty data directory and the wrong vshard count: it has no
      // snapshot to check, only the log the leader sends it from the start.
      RaftPeer n4 =
          RaftPeer.newBuilder()
              .setId(RaftPeerId.valueOf("n4"))
              .setAddress("127.0.0.1:" + FreePorts.pick("127.0.0.1", 1)[0])
              .build();
      List<RaftPeer> members = new ArrayList<>(cluster.peers());
      members.add(n4);
      try (SequencerNode node =
              SequencerNode.builder()
                  .nodeId("n4")
                  .peers(members)
                  .dataDir(cluster.dataDir(0).resolveSibling("n4"))
                  .vshardCount(VSHARDS * 2)
                  .join(true)
                  .adminPort(0)
                  .build();
          SequencerClient adminClient =
              SequencerClient.builder()
                  .peers(cluster.peersString())
                  .callTimeout(Duration.ofSeconds(20))
                  .build()) {
        node.start();
        // The membership change waits for n4 to catch up, which it never does: do not wait for
        // it, only for n4's verdict.
        CompletableFuture<?> adding =
            CompletableFuture.runAsync(
                () -> {
                  try {
                    ClusterAdmin.create(
                            SequencerClient.builder()
                                .peers(cluster.peersString())
                                .callTimeout(Duration.ofSeconds(20)))
                        .addNode(n4);
                  } catch (Exception e) {
                    // expected: n4 stops before it has caught up
                  }
                });
        String reason = node.clusterMismatch().get(60, TimeUnit.SECONDS);
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
            .isLessThan(before.epoch());

        // The three others go on sequencing.
        BatchReceipt r =
            adminClient.propose(TestTxns.batch(rnd, 1, 8, 10_000, 0)).get(60, TimeUnit.SECONDS);
        assertThat(r.outcome()).isEqualTo(ApplyResult.Kind.APPLIED);
        assertThat(r.epoch()).isEqualTo(before.epoch() + 1);
        adding.get(60, TimeUnit.SECONDS);
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
