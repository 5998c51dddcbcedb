package org.calvinseq.server.inbox;

import java.time.Duration;
import java.util.Objects;
import org.calvinseq.core.codec.EncodedSize;
import org.calvinseq.core.codec.ProposalLimits;

/**
 * Settings of the {@link LeaderInbox}. {@link #defaults(ProposalLimits)} gives the values below,
 * each with its reason; the {@code with...} methods change one.
 *
 * @param epochInterval the longest a submission waits in the inbox while the pipeline has room
 *     (default 10 ms, Calvin's epoch; NodeDB uses 20 ms). The former closes epochs adaptively, so
 *     under light load an epoch closes as soon as a submission arrives and this bound only matters
 *     when {@code eagerInFlight} epochs are already in flight: the shorter bound costs little
 *     throughput (epochs are large then anyway) and caps the latency the inbox adds at about two
 *     unloaded commits (4.4 ms each, docs/performance.md)
 * @param maxTxnsPerEpoch the most txns in one epoch (default 8,192, and never more than {@link
 *     ProposalLimits#maxTxnsPerBatch()}): a cap that binds only under a backlog, where larger
 *     entries spread each entry's fixed Raft cost over more txns (docs/performance.md, "Larger
 *     epochs": with a backlog, epochs of about 2,000 txns and a quarter more throughput than with
 *     NodeDB's 1,024); about 1.3 MB of 100-byte txns, applied in a few milliseconds
 * @param maxBytesPerEpoch the most encoded bytes in one epoch's entry, counted with {@link
 *     EncodedSize} (an upper bound of the real encoding), so the entry never exceeds it (default:
 *     the smaller of NodeDB's 16 MiB and {@link ProposalLimits#maxBatchBytes()}, 4 MiB by default:
 *     the leader refuses a larger entry and Ratis's buffers are sized for it)
 * @param eagerInFlight K: while fewer than this many closed epochs await their outcome, an epoch
 *     closes as soon as anything is pending, like group commit (default 2: one epoch committing
 *     while the next replicates keeps the Raft pipeline busy; with 1 the epochs grow by half at
 *     full load, but the log and apply idle between them, and throughput fell a tenth in
 *     docs/performance.md, "Larger epochs"; each further eager slot only makes more small entries
 *     under moderate load, and every entry costs every replica a log write and an apply, at a floor
 *     of roughly 1 ms of Raft work per entry on the measured machine)
 * @param maxInFlight the hard cap: with this many epochs awaiting their outcome nothing closes, not
 *     even on the interval or a full epoch, and the backlog stays in the inbox, where admission is
 *     fair, rather than in Ratis's pending queue, where it is not (default 8: a few full epochs
 *     beyond the eager slots; at full load the measured epochs held about 2,000 txns, so about 60
 *     ms of work at 250k txns/s)
 * @param capacityTxns the most txns waiting in the inbox (default 262,144: 32 full epochs, about
 *     1.3 s of work at 200k txns/s, and about 100 MiB of heap for 100-byte txns; a longer queue
 *     only adds latency that clients would rather see as an early refusal)
 * @param capacityBytes the most encoded bytes waiting in the inbox (default sixteen full epochs, 64
 *     MiB with the default 4 MiB entry: twice the in-flight cap's worth, so that each of the 8
 *     tenant shares holds two full epochs; bounds the heap when txns are large)
 * @param tenantShareDivisor a tenant may hold at most 1/this of {@code capacityTxns} and of {@code
 *     capacityBytes} (default 8, NodeDB's 1/8: one noisy tenant cannot fill the inbox); the share
 *     must hold at least one full epoch
 * @param reserveDivisor the last 1/this of the inbox (txns and bytes) is reserved for light
 *     tenants, those holding at most one epoch's worth (maxTxnsPerEpoch txns, maxBytesPerEpoch
 *     bytes) after admission, so that even {@code tenantShareDivisor} flooding tenants together
 *     cannot shut a light one out (default 8); 0 reserves nothing
 * @param maxRetryAfter the largest retry-after hint a refusal gives (default 1 s)
 * @param limits the leader's proposal limits: the per-txn checks (keys, payload) and the ceilings
 *     of {@code maxTxnsPerEpoch} and {@code maxBytesPerEpoch}
 */
public record InboxSettings(
    Duration epochInterval,
    int maxTxnsPerEpoch,
    int maxBytesPerEpoch,
    int eagerInFlight,
    int maxInFlight,
    int capacityTxns,
    long capacityBytes,
    int tenantShareDivisor,
    int reserveDivisor,
    Duration maxRetryAfter,
    ProposalLimits limits) {

  public static final Duration DEFAULT_EPOCH_INTERVAL = Duration.ofMillis(10);
  public static final int DEFAULT_MAX_TXNS_PER_EPOCH = 8_192;
  public static final int DEFAULT_MAX_BYTES_PER_EPOCH = 16 << 20;
  public static final int DEFAULT_EAGER_IN_FLIGHT = 2;
  public static final int DEFAULT_MAX_IN_FLIGHT = 8;
  public static final int DEFAULT_CAPACITY_TXNS = 1 << 18;

  /** The default {@link #capacityBytes()} in full epochs ({@link #maxBytesPerEpoch()}). */
  public static final int DEFAULT_CAPACITY_EPOCHS_OF_BYTES = 16;

  public static final int DEFAULT_TENANT_SHARE_DIVISOR = 8;
  public static final int DEFAULT_RESERVE_DIVISOR = 8;
  public static final Duration DEFAULT_MAX_RETRY_AFTER = Duration.ofSeconds(1);

  public InboxSettings {
    Objects.requireNonNull(epochInterval, "epochInterval");
    Objects.requireNonNull(maxRetryAfter, "maxRetryAfter");
    Objects.requireNonNull(limits, "limits");
    if (epochInterval.isNegative() || epochInterval.isZero()) {
      throw new IllegalArgumentException("epochInterval must be positive: " + epochInterval);
    }
    if (maxRetryAfter.isNegative() || maxRetryAfter.isZero()) {
      throw new IllegalArgumentException("maxRetryAfter must be positive: " + maxRetryAfter);
    }
    if (maxTxnsPerEpoch < 1 || maxTxnsPerEpoch > limits.maxTxnsPerBatch()) {
      throw new IllegalArgumentException(
          "maxTxnsPerEpoch must be in [1, "
              + limits.maxTxnsPerBatch()
              + "] (the leader's max txns per batch): "
              + maxTxnsPerEpoch);
    }
    if (maxBytesPerEpoch <= EncodedSize.BATCH_OVERHEAD
        || maxBytesPerEpoch > limits.maxBatchBytes()) {
      throw new IllegalArgumentException(
          "maxBytesPerEpoch must be in ("
              + EncodedSize.BATCH_OVERHEAD
              + ", "
              + limits.maxBatchBytes()
              + "] (the leader's max entry size): "
              + maxBytesPerEpoch);
    }
    if (eagerInFlight < 0 || maxInFlight < 1 || maxInFlight < eagerInFlight) {
      throw new IllegalArgumentException(
          "need 0 <= eagerInFlight <= maxInFlight and maxInFlight >= 1: "
              + eagerInFlight
              + ", "
              + maxInFlight);
    }
    if (tenantShareDivisor < 1) {
      throw new IllegalArgumentException("tenantShareDivisor must be >= 1: " + tenantShareDivisor);
    }
    if (capacityTxns / tenantShareDivisor < maxTxnsPerEpoch
        || capacityBytes / tenantShareDivisor < maxBytesPerEpoch) {
      throw new IllegalArgumentException(
          "a tenant's share (1/"
              + tenantShareDivisor
              + " of "
              + capacityTxns
              + " txns and "
              + capacityBytes
              + " bytes) must hold a full epoch ("
              + maxTxnsPerEpoch
              + " txns, "
              + maxBytesPerEpoch
              + " bytes)");
    }
    if (reserveDivisor < 0 || reserveDivisor == 1) {
      throw new IllegalArgumentException(
          "reserveDivisor must be 0 (no reserve) or >= 2: " + reserveDivisor);
    }
  }

  /** The defaults (see the parameters) within {@code limits}. */
  public static InboxSettings defaults(ProposalLimits limits) {
    int epochBytes = Math.min(DEFAULT_MAX_BYTES_PER_EPOCH, limits.maxBatchBytes());
    return new InboxSettings(
        DEFAULT_EPOCH_INTERVAL,
        Math.min(DEFAULT_MAX_TXNS_PER_EPOCH, limits.maxTxnsPerBatch()),
        epochBytes,
        DEFAULT_EAGER_IN_FLIGHT,
        DEFAULT_MAX_IN_FLIGHT,
        DEFAULT_CAPACITY_TXNS,
        (long) DEFAULT_CAPACITY_EPOCHS_OF_BYTES * epochBytes,
        DEFAULT_TENANT_SHARE_DIVISOR,
        DEFAULT_RESERVE_DIVISOR,
        DEFAULT_MAX_RETRY_AFTER,
        limits);
  }

  /** A tenant's share of the inbox in txns. */
  public int tenantShareTxns() {
    return capacityTxns / tenantShareDivisor;
  }

  /** A tenant's share of the inbox in bytes. */
  public long tenantShareBytes() {
    return capacityBytes / tenantShareDivisor;
  }

  /** Txns of the inbox reserved for light tenants. */
  public int reserveTxns() {
    return reserveDivisor == 0 ? 0 : capacityTxns / reserveDivisor;
  }

  /** Bytes of the inbox reserved for light tenants. */
  public long reserveBytes() {
    return reserveDivisor == 0 ? 0 : capacityBytes / reserveDivisor;
  }

  public InboxSettings withEpochInterval(Duration d) {
    return new InboxSettings(
        d,
        maxTxnsPerEpoch,
        maxBytesPerEpoch,
        eagerInFlight,
        maxInFlight,
        capacityTxns,
        capacityBytes,
        tenantShareDivisor,
        reserveDivisor,
        maxRetryAfter,
        limits);
  }

  /** These settings with other epoch limits. */
  public InboxSettings withEpochLimits(int txns, int bytes) {
    return new InboxSettings(
        epochInterval,
        txns,
        bytes,
        eagerInFlight,
        maxInFlight,
        capacityTxns,
        capacityBytes,
        tenantShareDivisor,
        reserveDivisor,
        maxRetryAfter,
        limits);
  }

  /** These settings with other in-flight thresholds. */
  public InboxSettings withInFlight(int eager, int max) {
    return new InboxSettings(
        epochInterval,
        maxTxnsPerEpoch,
        maxBytesPerEpoch,
        eager,
        max,
        capacityTxns,
        capacityBytes,
        tenantShareDivisor,
        reserveDivisor,
        maxRetryAfter,
        limits);
  }

  /** These settings with another capacity and its division. */
  public InboxSettings withCapacity(int txns, long bytes, int shareDivisor, int reserve) {
    return new InboxSettings(
        epochInterval,
        maxTxnsPerEpoch,
        maxBytesPerEpoch,
        eagerInFlight,
        maxInFlight,
        txns,
        bytes,
        shareDivisor,
        reserve,
        maxRetryAfter,
        limits);
  }
}
