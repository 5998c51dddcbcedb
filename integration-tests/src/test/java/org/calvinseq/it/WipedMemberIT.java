package org.calvinseq.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Random;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.testkit.LocalCluster;
import org.junit.jupiter.api.Test;

/**
 * operations.md's "Restoring one member" by wiping: a follower restarted on an empty data directory
 * under its old id catches up from the leader that knew it. Ratis alone never resyncs it
 * (RATIS-2523: the leader keeps the next index above the follower's old match index, which the
 * empty follower cannot accept), so this test fails without {@code RecoveringLogAppender}'s fix.
 */
class WipedMemberIT {
  @Test
  void aFollowerRestartedOnAnEmptyDataDirectoryCatchesUp() throws Exception {
    try (LocalCluster cluster =
        LocalCluster.builder().nodes(3).configure(b -> b.vshardCount(8)).build().start()) {
      int leader = cluster.awaitLeader(Duration.ofSeconds(30));
      Random rnd = new Random(5);
      for (int i = 0; i < 30; i++) {
        cluster.client().propose(TestTxns.batch(rnd, 2, 8, i, 0)).join();
      }
      int f = (leader + 1) % 3;
      cluster.awaitApplied(29, Duration.ofSeconds(30));
      cluster.stop(f);
      cluster.wipe(f);
      cluster.restart(f);

      BatchReceipt last = null;
      for (int i = 30; i < 40; i++) {
        last = cluster.client().propose(TestTxns.batch(rnd, 2, 8, i, 0)).join();
      }
      long epoch = last.epoch();
      LocalCluster.await(
          Duration.ofSeconds(60),
          () -> cluster.status(f).lastAppliedEpoch() >= epoch,
          "the wiped follower " + cluster.nodeId(f) + " to apply epoch " + epoch,
          () -> "; " + cluster.describe());
      assertThat(cluster.status(f).lastAppliedEpoch()).isEqualTo(epoch);
    }
  }
}
