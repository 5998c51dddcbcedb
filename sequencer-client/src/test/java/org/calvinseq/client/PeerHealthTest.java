package org.calvinseq.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.ratis.protocol.RaftPeerId;
import org.calvinseq.client.PeerHealth.State;
import org.junit.jupiter.api.Test;

class PeerHealthTest {
  private static final RaftPeerId N1 = RaftPeerId.valueOf("n1");
  private static final RaftPeerId N2 = RaftPeerId.valueOf("n2");
  private static final RaftPeerId N3 = RaftPeerId.valueOf("n3");
  private static final PeerHealth.Policy POLICY =
      new PeerHealth.Policy(
          new RetryBackoff(Duration.ofSeconds(1), Duration.ofSeconds(8), 2.0, 0.0),
          5,
          Duration.ofMinutes(1),
          Duration.ofMinutes(10));

  private long now = 1_000_000_000L;
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final ClientMetrics metrics = new ClientMetrics(registry, List.of(N1, N2, N3));
  private final PeerHealth health =
      new PeerHealth(List.of(N1, N2, N3), POLICY, () -> now, new SplittableRandom(1), metrics);

  {
    metrics.bindHealth(health);
  }

  private void advance(Duration d) {
    now += d.toNanos();
  }

  private double gauge(RaftPeerId p, State s) {
    return registry
        .get(ClientMetrics.PEER_STATUS)
        .tag("peer", p.toString())
        .tag("status", s.tag())
        .gauge()
        .value();
  }

  private double attempts(RaftPeerId p, String result) {
    return registry
        .get(ClientMetrics.ATTEMPTS)
        .tag("peer", p.toString())
        .tag("result", result)
        .counter()
        .count();
  }

  @Test
  void failuresBackOffExponentiallyAndASuccessHeals() {
    assertThat(health.state(N2)).isEqualTo(State.HEALTHY);
    health.failure(N2, new IOException("refused"));
    assertThat(health.state(N2)).isEqualTo(State.BACKOFF);
    assertThat(health.due(N2)).isFalse();
    advance(Duration.ofMillis(999));
    assertThat(health.due(N2)).isFalse();
    advance(Duration.ofMillis(1));
    assertThat(health.due(N2)).isTrue();

    health.failure(N2, new IOException("refused"));
    advance(Duration.ofMillis(1999));
    assertThat(health.due(N2)).isFalse();
    advance(Duration.ofMillis(1));
    assertThat(health.due(N2)).isTrue();

    health.success(N2);
    assertThat(health.state(N2)).isEqualTo(State.HEALTHY);
    assertThat(health.snapshot().get(1).consecutiveFailures()).isZero();
    assertThat(attempts(N2, "failure")).isEqualTo(2);
    assertThat(attempts(N2, "success")).isEqualTo(1);
  }

  @Test
  void deadOnlyAfterEnoughFailuresOverALongEnoughPeriod() {
    for (int i = 0; i < 10; i++) {
      health.failure(N3, new IOException("down"));
    }
    assertThat(health.state(N3)).as("many failures, but within seconds").isEqualTo(State.BACKOFF);
    advance(Duration.ofMinutes(1));
    health.failure(N3, new IOException("down"));
    assertThat(health.state(N3)).isEqualTo(State.DEAD);
    assertThat(gauge(N3, State.DEAD)).isEqualTo(1);
    assertThat(gauge(N3, State.BACKOFF)).isZero();
    assertThat(gauge(N3, State.HEALTHY)).isZero();
    advance(Duration.ofMinutes(8));
    assertThat(health.due(N3)).isFalse();
    advance(Duration.ofMinutes(4));
    assertThat(health.due(N3)).as("dead peers are retried once per interval").isTrue();
    health.success(N3);
    assertThat(gauge(N3, State.HEALTHY)).isEqualTo(1);
  }

  @Test
  void orderPutsThePreferredAndHealthyPeersFirstAndBackedOffPeersLast() {
    health.failure(N1, new IOException("x"));
    assertThat(health.order(null)).containsExactly(N2, N3, N1);
    assertThat(health.order(N3)).containsExactly(N3, N2, N1);
    assertThat(health.order(N1)).as("a preferred peer in backoff is not first").startsWith(N2);
    health.suggested(N1);
    assertThat(health.due(N1)).as("named as leader by another peer").isTrue();
    assertThat(health.order(N1)).startsWith(N1);
  }

  @Test
  void unknownPeersAreIgnored() {
    health.failure(RaftPeerId.valueOf("n9"), null);
    health.success(null);
    assertThat(health.snapshot()).allMatch(s -> s.state() == State.HEALTHY);
  }
}
