package org.calvinseq.it.fault;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.calvinseq.core.protocol.NodeStatus;
import org.calvinseq.testkit.LocalCluster;
import org.junit.jupiter.api.Test;

/**
 * The leader is cut off from its peers under load: the others elect a new leader and go on, the old
 * one steps down, and after the network heals no epoch exists in two versions (no split brain).
 */
class LeaderIsolationIT {
  @Test
  void isolatedLeaderStepsDownAndTheMajorityGoesOn() throws Exception {
    try (FaultRun run = FaultRun.inProcess("leader-isolation").proxied(true).start()) {
      LocalCluster cluster = run.cluster();
      run.awaitAcknowledged(200, Duration.ofSeconds(60));
      int old = cluster.awaitLeader(Duration.ofSeconds(30));
      long oldTerm = cluster.status(old).term();

      cluster.isolate(old);
      int fresh = run.awaitLeaderOtherThan(old, Duration.ofSeconds(60));
      assertThat(cluster.status(fresh).term()).as("the new leader's term").isGreaterThan(oldTerm);
      LocalCluster.await(
          Duration.ofSeconds(60),
          () -> {
            NodeStatus s = cluster.status(old);
            return s != null && !"LEADER".equals(s.role());
          },
          "the isolated old leader " + cluster.nodeId(old) + " to step down");

      // The majority serves while the old leader is cut off; the old leader commits nothing.
      NodeStatus frozen = FaultRun.awaitQuiet(cluster, old);
      run.awaitAcknowledged(300, Duration.ofSeconds(60));
      assertThat(cluster.status(fresh).lastAppliedEpoch()).isGreaterThan(frozen.lastAppliedEpoch());
      NodeStatus now = cluster.status(old);
      assertThat(now.commitIndex())
          .as("the isolated old leader committed nothing on its own")
          .isEqualTo(frozen.commitIndex());
      assertThat(now.lastAppliedEpoch()).isEqualTo(frozen.lastAppliedEpoch());

      cluster.heal();
      run.finish();
      assertThat(cluster.status(old).role()).isNotEqualTo("LEADER");
    }
  }
}
