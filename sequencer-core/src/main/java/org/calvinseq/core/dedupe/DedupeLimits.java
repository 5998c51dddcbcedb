package org.calvinseq.core.dedupe;

import org.calvinseq.core.codec.WireFormat;

/**
 * The bounds of the de-duplication state. They are part of the apply rules, so every replica must
 * use the same ones: nodes always use {@link #PROTOCOL}, the protocol constants of {@link
 * WireFormat}. Other values exist for tests, which need small windows to reach the edges.
 *
 * @param windowRuns runs of sequences remembered per client (at least 1)
 * @param maxClients client ids remembered at once (at least 1)
 * @param clientExpiryMs epoch time after which an idle client id is forgotten (at least 1)
 */
public record DedupeLimits(int windowRuns, int maxClients, long clientExpiryMs) {
  /** The protocol's limits: {@link WireFormat#DEDUPE_WINDOW_RUNS} and the two after it. */
  public static final DedupeLimits PROTOCOL =
      new DedupeLimits(
          WireFormat.DEDUPE_WINDOW_RUNS,
          WireFormat.DEDUPE_MAX_CLIENTS,
          WireFormat.DEDUPE_CLIENT_EXPIRY_MS);

  public DedupeLimits {
    if (windowRuns < 1 || maxClients < 1 || clientExpiryMs < 1) {
      throw new IllegalArgumentException(
          "windowRuns, maxClients and clientExpiryMs must be >= 1: "
              + windowRuns
              + ", "
              + maxClients
              + ", "
              + clientExpiryMs);
    }
  }
}
