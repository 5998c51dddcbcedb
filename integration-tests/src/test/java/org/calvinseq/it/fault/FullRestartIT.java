package org.calvinseq.it.fault;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.calvinseq.testkit.LocalCluster;
import org.junit.jupiter.api.Test;

/**
 * Every node's process is SIGKILLed at once under load, and all three start again together: the
 * cluster recovers its log from disk, elects a leader and goes on; every engine rebuilds from its
 * checkpoint through replay.
 */
class FullRestartIT {
  @Test
  void allThreeKilledAtOnceAndRestartedTogether() throws Exception {
    try (FaultRun run = FaultRun.processes("full-restart").start()) {
      LocalCluster cluster = run.cluster();
      run.awaitAcknowledged(300, Duration.ofSeconds(90));
      int leader = cluster.awaitLeader(Duration.ofSeconds(60));
      long committed = cluster.status(leader).lastAppliedEpoch();
      for (int i = 0; i < 3; i++) {
        cluster.kill(i);
      }
      for (int i = 0; i < 3; i++) {
        assertThat(cluster.isRunning(i)).isFalse();
      }
      cluster.startStopped();
      cluster.awaitLeader(Duration.ofSeconds(60));
      cluster.awaitApplied(committed, Duration.ofSeconds(60));
      run.awaitAcknowledged(300, Duration.ofSeconds(90));
      run.finish();
    }
  }
}
