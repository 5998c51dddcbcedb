package org.calvinseq.core.apply;

import org.calvinseq.core.queue.OfferResult;

/**
 * Hears the rare, noteworthy outcomes of the apply path, as they happen, so that a driver can
 * record them (the server's event log does) without the apply path doing any I/O itself.
 *
 * <p>Duties of an implementation, because it runs inside {@link EpochStateMachine#apply}, on the
 * single apply thread, in log order:
 *
 * <ol>
 *   <li>return at once: no I/O, no locks that I/O holds, no waiting (hand the event to a bounded
 *       non-blocking queue and drop it when full);
 *   <li>never throw: an exception would leave a half-applied entry;
 *   <li>do not call back into the state machine.
 * </ol>
 *
 * Every method has a no-op default, so a listener overrides only what it needs. The {@code index}
 * argument is the Raft log index of the entry being applied.
 */
public interface ApplyListener {
  /** The listener that ignores everything, the default. */
  ApplyListener NONE = new ApplyListener() {};

  /**
   * A batch named an epoch above the expected one: epochs {@code fromEpoch..toEpoch} (inclusive)
   * were skipped and the batch was applied as epoch {@code toEpoch + 1}.
   */
  default void onGap(long index, long fromEpoch, long toEpoch) {}

  /** A batch named {@code epoch}, below the expected {@code expected}: it was not applied. */
  default void onStale(long index, long epoch, long expected) {}

  /** The entry could not be decoded and was skipped. */
  default void onDecodeError(long index, String message) {}

  /**
   * A batch named {@code epoch}, more than {@code WireFormat.MAX_EPOCH_GAP} above the expected
   * {@code expected} (or above {@code WireFormat.MAX_EPOCH}): it was skipped and took no epoch.
   */
  default void onEpochOutOfRange(long index, long epoch, long expected) {}

  /**
   * The live queue of {@code vshard} refused a txn of {@code epoch} ({@link OfferResult#FULL} or
   * {@link OfferResult#CLOSED}): the vshard is behind until its consumer replays.
   */
  default void onVShardBehind(long index, int vshard, long epoch, OfferResult reason) {}

  /**
   * The consumer of {@code vshard} had replayed far enough, and live delivery resumed with a txn of
   * {@code epoch}. A new subscriber starts behind, so its first live txn reports this too.
   */
  default void onVShardCaughtUp(long index, int vshard, long epoch) {}
}
