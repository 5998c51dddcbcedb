package org.calvinseq.server.admin;

import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * A named condition that {@code /ready} reports on, such as "has-leader" or "caught-up".
 *
 * <p>The probe runs on the admin worker thread for every {@code /ready} request, so it must be
 * cheap and must not block: read a volatile field, do not ask Raft.
 *
 * @param name a short identifier ({@code [A-Za-z0-9._-]+}), shown as {@code [+]name ok}
 * @param probe computes the current result
 */
public record ReadinessCheck(String name, Supplier<CheckResult> probe) {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]+");

  public ReadinessCheck {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(probe, "probe");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("readiness check name must match " + NAME + ": " + name);
    }
  }

  /** A check that passes when {@code condition} is true and fails with a generic reason. */
  public static ReadinessCheck of(String name, BooleanSupplier condition) {
    Objects.requireNonNull(condition, "condition");
    return new ReadinessCheck(
        name,
        () -> condition.getAsBoolean() ? CheckResult.pass() : CheckResult.fail("condition false"));
  }

  /**
   * Runs the probe; a probe that throws or returns null is reported as a failure rather than
   * failing the whole {@code /ready} request.
   */
  CheckResult run() {
    try {
      CheckResult result = probe.get();
      return result != null ? result : CheckResult.fail("probe returned no result");
    } catch (RuntimeException e) {
      return CheckResult.fail("probe threw " + e);
    }
  }
}
