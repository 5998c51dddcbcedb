package org.calvinseq.it.fault;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.calvinseq.testkit.LocalCluster;
import org.junit.jupiter.api.Test;

/**
 * The leader's process is SIGKILLed under load and restarted, three times over: each time the
 * others elect a leader and go on, and the restarted node and its engine (which lost everything
 * since its last checkpoint) rebuild to the same log and state.
 */
class LeaderKillIT {
  private static final int ROUNDS = 3;

  @Test
  void leaderKilledAndRestartedRepeatedly() throws Exception {
    try (FaultRun run = FaultRun.processes("leader-kill").start()) {
      LocalCluster cluster = run.cluster();
      run.awaitAcknowledged(200, Duration.ofSeconds(90));
      Set<Long> pids = new HashSet<>();
      for (int round = 0; round < ROUNDS; round++) {
        int leader = cluster.awaitLeader(Duration.ofSeconds(60));
        long pid = cluster.pid(leader).orElseThrow();
        pids.add(pid);
        cluster.kill(leader);
        assertThat(ProcessHandle.of(pid)).as("SIGKILLed process %d is gone", pid).isEmpty();
        int next = run.awaitLeaderOtherThan(leader, Duration.ofSeconds(60));
        assertThat(next).isNotEqualTo(leader);
        run.awaitAcknowledged(150, Duration.ofSeconds(60));
        cluster.restart(leader);
        assertThat(cluster.pid(leader).orElseThrow()).isNotIn(pids);
        run.awaitAcknowledged(100, Duration.ofSeconds(60));
      }
      run.finish();
    }
  }
}
