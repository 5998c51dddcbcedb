package org.calvinseq.it.fault;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.calvinseq.core.protocol.NodeStatus;
import org.calvinseq.testkit.LocalCluster;
import org.junit.jupiter.api.Test;

/**
 * A follower is cut off under load, then the network heals: the majority never stops, and the
 * follower catches up to the same log and the same engine state.
 */
class FollowerIsolationIT {
  @Test
  void isolatedFollowerCatchesUpAfterHeal() throws Exception {
    try (FaultRun run = FaultRun.inProcess("follower-isolation").proxied(true).start()) {
      LocalCluster cluster = run.cluster();
      run.awaitAcknowledged(200, Duration.ofSeconds(60));
      int leader = cluster.awaitLeader(Duration.ofSeconds(30));
      int follower = (leader + 1) % 3;

      cluster.isolate(follower);
      NodeStatus frozen = FaultRun.awaitQuiet(cluster, follower);
      run.awaitAcknowledged(400, Duration.ofSeconds(60));
      assertThat(cluster.status(leader).lastAppliedEpoch())
          .as("the majority went on")
          .isGreaterThan(frozen.lastAppliedEpoch() + 20);
      NodeStatus now = cluster.status(follower);
      assertThat(now.commitIndex())
          .as("the isolated follower learned of no commit")
          .isEqualTo(frozen.commitIndex());
      assertThat(now.lastAppliedEpoch()).isEqualTo(frozen.lastAppliedEpoch());
      assertThat(cluster.leader()).contains(leader);

      cluster.heal();
      long target = cluster.status(leader).lastAppliedEpoch();
      cluster.awaitApplied(target, Duration.ofSeconds(60));
      run.finish();
    }
  }
}
