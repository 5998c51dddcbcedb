package org.calvinseq.client;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with jitter: the delay before retry {@code n} (1 for the first retry) is
 * {@code min(max, initial * multiplier^(n-1))}, of which the fraction {@code jitter} is drawn at
 * random, so clients that failed together do not retry together.
 *
 * <p>A backoff never waits zero: every retry sleeps at least {@code initial * (1 - jitter)}, and
 * the total time of a call is bounded separately (the client's call timeout), so nothing retries
 * forever or spins.
 *
 * @param initial the delay before the first retry, before jitter
 * @param max the largest delay, before jitter
 * @param multiplier growth per retry, at least 1
 * @param jitter the random fraction of each delay, in {@code [0, 1)}
 */
public record RetryBackoff(Duration initial, Duration max, double multiplier, double jitter) {
  /** 50 ms doubling to 2 s, half of each delay random. */
  public static final RetryBackoff DEFAULT =
      new RetryBackoff(Duration.ofMillis(50), Duration.ofSeconds(2), 2.0, 0.5);

  public RetryBackoff {
    Objects.requireNonNull(initial, "initial");
    Objects.requireNonNull(max, "max");
    if (initial.isNegative() || initial.isZero()) {
      throw new IllegalArgumentException("initial backoff must be positive: " + initial);
    }
    if (max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("max backoff " + max + " is below initial " + initial);
    }
    if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
      throw new IllegalArgumentException("multiplier must be >= 1: " + multiplier);
    }
    if (!(jitter >= 0.0 && jitter < 1.0)) {
      throw new IllegalArgumentException("jitter must be in [0, 1): " + jitter);
    }
  }

  /**
   * The delay in nanoseconds before retry {@code retry} (1-based), drawing jitter from {@code r}.
   */
  public long delayNanos(int retry, RandomGenerator r) {
    double base = initial.toNanos();
    double cap = max.toNanos();
    for (int i = 1; i < retry && base < cap; i++) {
      base *= multiplier;
    }
    base = Math.min(base, cap);
    double fixed = base * (1.0 - jitter);
    return (long) (fixed + (jitter == 0 ? 0 : r.nextDouble() * base * jitter));
  }

  /**
   * A generator that many threads may share: {@code source} behind a lock (random draws are rare
   * here: one per retry).
   */
  static RandomGenerator shared(RandomGenerator source) {
    return source instanceof Shared ? source : new Shared(source);
  }

  private static final class Shared implements RandomGenerator {
    private final RandomGenerator source;

    Shared(RandomGenerator source) {
      this.source = source;
    }

    @Override
    public synchronized long nextLong() {
      return source.nextLong();
    }
  }

  /** {@link #delayNanos} in milliseconds, at least 1. */
  public long delayMillis(int retry, RandomGenerator r) {
    return Math.max(1, delayNanos(retry, r) / 1_000_000);
  }
}
