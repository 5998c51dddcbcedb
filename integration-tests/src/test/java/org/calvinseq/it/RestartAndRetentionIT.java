package org.calvinseq.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Random;
import org.calvinseq.core.replay.ReplayUnavailableException;
import org.calvinseq.server.NodeInternals;
import org.calvinseq.server.SequencerNode;
import org.calvinseq.testkit.LocalCluster;
import org.junit.jupiter.api.Test;

/** A node restarted from its data directory resumes, and replay honours its retention. */
class RestartAndRetentionIT {
  private static final int VSHARDS = 4;

  @Test
  void restartedNodeResumesAndServesOnlyTheRetainedRange() throws Exception {
    try (LocalCluster cluster = ClusterChecks.purgingCluster(VSHARDS, 500, 300)) {
      cluster.awaitLeader(Duration.ofSeconds(30));
      long last = SnapshotCatchUpIT.propose(cluster, new Random(5), 0, 3000);
      cluster.awaitApplied(last, Duration.ofSeconds(60));
      // Let purging catch up with the last snapshot on node 0 before restarting it.
      long firstBefore = cluster.node(0).status().firstReplayableEpoch();

      cluster.restart(0);
      SequencerNode n = cluster.node(0);
      LocalCluster.await(
          Duration.ofSeconds(60), () -> n.currentCommittedEpoch() == last, "node 0 to resume");
      assertThat(NodeInternals.core(n).nextEpoch()).isEqualTo(last + 1);

      long first = n.status().firstReplayableEpoch();
      assertThat(first).as("old epochs were purged").isPositive().isLessThanOrEqualTo(last - 200);
      assertThat(first).isGreaterThanOrEqualTo(Math.min(firstBefore, first));

      // The retained range replays identically to the other nodes.
      long from = Math.max(first, last - 250);
      assertThat(ClusterChecks.streams(n, VSHARDS, from, last))
          .isEqualTo(ClusterChecks.streams(cluster.node(1), VSHARDS, from, last));
      assertThat(
              ClusterChecks.streams(n, VSHARDS, from, last).stream().mapToInt(l -> l.size()).sum())
          .isGreaterThanOrEqualTo((int) (last - from + 1));

      // A purged range fails with the documented error naming the first epoch still available.
      assertThatThrownBy(() -> n.replay(0, 0, last).hasNext())
          .isInstanceOf(ReplayUnavailableException.class)
          .hasMessageContaining("epoch 0 is no longer retained")
          .hasMessageContaining("the first epoch available for replay is " + first);
    }
  }
}
