package org.calvinseq.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RetryBackoffTest {
  private static final RetryBackoff B =
      new RetryBackoff(Duration.ofMillis(100), Duration.ofSeconds(1), 2.0, 0.5);

  @Test
  void growsExponentiallyUpToTheCapWithJitterWithinBounds() {
    SplittableRandom r = new SplittableRandom(1);
    long[] bases = {100, 200, 400, 800, 1000, 1000, 1000};
    for (int retry = 1; retry <= bases.length; retry++) {
      long base = bases[retry - 1] * 1_000_000;
      for (int i = 0; i < 200; i++) {
        long d = B.delayNanos(retry, r);
        assertThat(d).as("retry %d", retry).isBetween(base / 2, base);
      }
    }
  }

  @Test
  void neverWaitsZeroAndHugeRetryCountsStayCapped() {
    SplittableRandom r = new SplittableRandom(2);
    assertThat(B.delayNanos(Integer.MAX_VALUE, r)).isBetween(500_000_000L, 1_000_000_000L);
    assertThat(B.delayMillis(1, r)).isGreaterThanOrEqualTo(50);
  }

  @Test
  void jitterSpreadsDelays() {
    SplittableRandom r = new SplittableRandom(3);
    long min = Long.MAX_VALUE;
    long max = 0;
    for (int i = 0; i < 1000; i++) {
      long d = B.delayNanos(3, r);
      min = Math.min(min, d);
      max = Math.max(max, d);
    }
    assertThat(max - min).isGreaterThan(150_000_000L);
  }

  @Test
  void rejectsBadSettings() {
    assertThatThrownBy(() -> new RetryBackoff(Duration.ZERO, Duration.ofSeconds(1), 2, 0.5))
        .hasMessageContaining("initial");
    assertThatThrownBy(() -> new RetryBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 0.5))
        .hasMessageContaining("below initial");
    assertThatThrownBy(
            () -> new RetryBackoff(Duration.ofMillis(1), Duration.ofSeconds(1), 0.5, 0.5))
        .hasMessageContaining("multiplier");
    assertThatThrownBy(() -> new RetryBackoff(Duration.ofMillis(1), Duration.ofSeconds(1), 2, 1))
        .hasMessageContaining("jitter");
  }
}
