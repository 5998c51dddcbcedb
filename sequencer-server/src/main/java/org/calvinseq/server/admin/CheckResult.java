package org.calvinseq.server.admin;

import java.util.Objects;

/**
 * The outcome of one readiness probe.
 *
 * @param passed whether the check passed
 * @param reason why it failed, on one line; empty when it passed
 */
public record CheckResult(boolean passed, String reason) {
  private static final CheckResult PASS = new CheckResult(true, "");

  public CheckResult {
    Objects.requireNonNull(reason, "reason");
    // The /ready body is one line per check; a multi-line reason would break that format.
    reason = reason.replace('\r', ' ').replace('\n', ' ').strip();
    if (!passed && reason.isEmpty()) {
      reason = "no reason given";
    }
  }

  /** A passing result. */
  public static CheckResult pass() {
    return PASS;
  }

  /** A failing result with the given reason. */
  public static CheckResult fail(String reason) {
    return new CheckResult(false, reason);
  }
}
