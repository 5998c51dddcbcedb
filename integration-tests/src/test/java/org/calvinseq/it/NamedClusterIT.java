package org.calvinseq.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Random;
import org.calvinseq.client.Peers;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.testkit.LocalCluster;
import org.junit.jupiter.api.Test;

/** A cluster whose Raft group has another name than the default: the test kit must use it. */
class NamedClusterIT {
  @Test
  void leadershipMovesInAClusterWithAnotherName() throws Exception {
    try (LocalCluster cluster =
        LocalCluster.builder()
            .nodes(3)
            .clusterName("blue")
            .configure(b -> b.vshardCount(8))
            .build()
            .start()) {
      assertThat(cluster.clusterName()).isNotEqualTo(Peers.DEFAULT_CLUSTER);
      int leader = cluster.awaitLeader(Duration.ofSeconds(30));
      BatchReceipt before =
          cluster.client().propose(TestTxns.batch(new Random(1), 2, 4, 1, 0)).join();
      assertThat(before.sequenced()).isTrue();

      int target = (leader + 1) % cluster.size();
      cluster.transferLeadership(target, Duration.ofSeconds(30));

      assertThat(cluster.leader()).contains(target);
      assertThat(cluster.status(target).role()).isEqualTo("LEADER");
      BatchReceipt after =
          cluster.client().propose(TestTxns.batch(new Random(2), 2, 4, 1, 2)).join();
      assertThat(after.epoch()).isGreaterThan(before.epoch());
    }
  }
}
