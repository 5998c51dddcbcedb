package org.calvinseq.testkit;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Polling until a condition holds: what every wait of the test kit comes down to. */
final class Await {
  private static final long POLL_MS = 20;

  private Await() {}

  /**
   * Polls {@code condition} every 20 ms until it holds; after {@code timeout} fails with an {@link
   * AssertionError} that names {@code what} and ends with what {@code state} says then.
   */
  static void until(
      Duration timeout, BooleanSupplier condition, String what, Supplier<String> state) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "timed out after " + timeout + " waiting for " + what + state.get());
      }
      try {
        Thread.sleep(POLL_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what, e);
      }
    }
  }
}
