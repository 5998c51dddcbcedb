package org.calvinseq.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicReference;
import org.calvinseq.server.admin.NodeReadiness.Progress;
import org.junit.jupiter.api.Test;

class NodeReadinessTest {
  @Test
  void aFollowerCaughtUpWithItsOwnCommitButFarBehindTheLeaderIsNotReady() {
    // The incident: the node's own commit index equals what it applied, the leader is far ahead.
    CheckResult r = NodeReadiness.caughtUp(new Progress(909, 909, 4163), 1000);
    assertThat(r.passed()).isFalse();
    assertThat(r.reason())
        .isEqualTo(
            "applied index 909 trails the leader's commit index 4163 by 3254 entries"
                + " (tolerance 1000)");
  }

  @Test
  void withinTheToleranceOfTheLeadersCommitIsReady() {
    assertThat(NodeReadiness.caughtUp(new Progress(3163, 3163, 4163), 1000).passed()).isTrue();
    assertThat(NodeReadiness.caughtUp(new Progress(4163, 4163, 4163), 0).passed()).isTrue();
    assertThat(NodeReadiness.caughtUp(new Progress(4162, 4163, 4163), 0).passed()).isFalse();
  }

  @Test
  void theLocalCommitCountsWhenItIsAheadOfWhatTheLeaderIsKnownToHaveCommitted() {
    // Right after a restart the node may know its own commit index before any leader's.
    CheckResult r = NodeReadiness.caughtUp(new Progress(100, 2000, -1), 1000);
    assertThat(r.passed()).isFalse();
    assertThat(r.reason())
        .isEqualTo(
            "applied index 100 trails the leader's commit index 2000 by 1900 entries"
                + " (tolerance 1000)");
  }

  @Test
  void anUnknownCommitIndexIsNotReady() {
    CheckResult r = NodeReadiness.caughtUp(new Progress(-1, -1, -1), 1000);
    assertThat(r.passed()).isFalse();
    assertThat(r.reason()).isEqualTo("commit index unknown: the Raft server is not running");
  }

  @Test
  void aNegativeToleranceIsRefused() {
    assertThatThrownBy(() -> NodeReadiness.caughtUpCheck(() -> new Progress(0, 0, 0), -1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theChecksReadTheirSuppliersOnEveryRun() {
    AtomicReference<Progress> p = new AtomicReference<>(new Progress(10, 10, 50));
    ReadinessCheck lag = NodeReadiness.caughtUpCheck(p::get, 5);
    assertThat(lag.name()).isEqualTo("applied_caught_up");
    assertThat(lag.run().passed()).isFalse();
    p.set(new Progress(48, 50, 50));
    assertThat(lag.run().passed()).isTrue();

    AtomicReference<String> failure = new AtomicReference<>();
    ReadinessCheck log = NodeReadiness.logWritableCheck(failure::get);
    assertThat(log.name()).isEqualTo("log_writable");
    assertThat(log.run()).isEqualTo(CheckResult.pass());
    failure.set("raft log write failed at index 7: No space left on device");
    assertThat(log.run())
        .isEqualTo(
            CheckResult.fail(
                "raft log write failed at index 7: No space left on device;"
                    + " the node has left the cluster and must be restarted"));
  }

  @Test
  void aFailureReasonNamesTheRootCause() {
    var enospc = new java.io.IOException("No space left on device");
    var wrapped = new java.io.IOException("Log already failed at index 12", enospc);
    assertThat(NodeReadiness.logFailureReason(wrapped, 12))
        .isEqualTo("raft log write failed at index 12: No space left on device");
    assertThat(NodeReadiness.logFailureReason(new java.io.IOException(), -1))
        .isEqualTo("raft log write failed: java.io.IOException");
  }
}
