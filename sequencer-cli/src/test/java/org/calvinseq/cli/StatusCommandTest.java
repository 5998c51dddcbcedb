package org.calvinseq.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@code sequencer status} without a cluster: how long it keeps asking and what it reports. */
class StatusCommandTest {
  private static final String NOWHERE = "n1@127.0.0.1:1,n2@127.0.0.1:2,n3@127.0.0.1:3";

  @Test
  void membersThatDoNotAnswerAreAskedAgainUntilTheTimeout() {
    long start = System.nanoTime();
    CliRun r = CliRun.of("status", "--peers", NOWHERE, "--timeout", "3s");
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
    assertThat(r.out().lines().filter(l -> l.contains("UNREACHABLE"))).hasSize(3);
    // A refused connection fails at once: only retrying makes the command last its --timeout.
    assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(2500));
    assertThat(took).isLessThan(Duration.ofSeconds(10));
    assertThat(r.out()).contains("no answer within 3000 ms (").contains(" attempts; last: ");
  }

  @Test
  void aShortTimeoutIsHonouredToo() {
    long start = System.nanoTime();
    CliRun r = CliRun.of("status", "--peers", NOWHERE, "--timeout", "500ms");
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.out()).contains("no answer within 500 ms");
    assertThat(took)
        .isGreaterThanOrEqualTo(Duration.ofMillis(400))
        .isLessThan(Duration.ofSeconds(5));
  }
}
