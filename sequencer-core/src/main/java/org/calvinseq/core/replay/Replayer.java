package org.calvinseq.core.replay;

import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.LongSupplier;
import org.calvinseq.core.codec.CodecException;
import org.calvinseq.core.codec.EntryDecoder;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.SequencerEntry;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.routing.Participants;
import org.calvinseq.core.routing.VShardRouter;

/**
 * Rebuilds one vshard's stream for an epoch range from committed entries. Each epoch's log index,
 * time and empty positions (txns the apply path did not sequence) come from the {@link EpochIndex}
 * the apply path wrote, and each txn goes through {@link Participants}, the code the live fan-out
 * uses, so replay equals live delivery.
 */
public final class Replayer implements ReplaySource {
  private final EpochIndex index;
  private final LogSource log;
  private final VShardRouter router;
  private final LongSupplier committedEpoch;

  public Replayer(
      EpochIndex index, LogSource log, VShardRouter router, LongSupplier committedEpoch) {
    this.index = index;
    this.log = log;
    this.router = router;
    this.committedEpoch = committedEpoch;
  }

  @Override
  public long currentCommittedEpoch() {
    return committedEpoch.getAsLong();
  }

  /** The oldest epoch a replay can start at, given retention and what the log still holds. */
  public long firstReplayableEpoch() {
    long first = index.firstReplayableEpoch();
    long logFirst = log.firstIndex();
    if (logFirst > 0) {
      try {
        long rec = index.seekLogIndex(logFirst);
        first = Math.max(first, rec < index.end() ? index.epochAt(rec) : index.lastEpoch() + 1);
      } catch (IndexOutOfBoundsException raced) {
        first = Math.max(first, index.firstReplayableEpoch());
      }
    }
    return first;
  }

  /**
   * Iterates the txns of {@code vshard} in {@code [fromEpoch, toEpoch]}. The range is checked
   * eagerly; entries are read and decoded one epoch at a time as the iterator advances.
   *
   * @throws ReplayUnavailableException if {@code fromEpoch} is older than the retained window
   */
  @Override
  public Iterator<SequencedTxn> replay(int vshard, long fromEpoch, long toEpoch) {
    if (vshard < 0 || vshard >= router.vshardCount()) {
      throw new IllegalArgumentException("vshard out of range: " + vshard);
    }
    if (fromEpoch < 0 || toEpoch < fromEpoch) {
      return java.util.Collections.emptyIterator();
    }
    long firstEpoch = firstReplayableEpoch();
    if (fromEpoch < firstEpoch) {
      throw new ReplayUnavailableException(fromEpoch, firstEpoch);
    }
    // The apply thread may drop records between the check above and the seek: the seek would then
    // land on the first record left, past fromEpoch, and the replay would silently start late.
    // Dropping raises the index's first replayable epoch before it moves the first record, so
    // reading it after the seek tells whether the seek saw the range whole.
    long start;
    try {
      start = index.seekEpoch(fromEpoch);
    } catch (IndexOutOfBoundsException raced) {
      start = -1;
    }
    if (start < 0 || fromEpoch < index.firstReplayableEpoch()) {
      throw new ReplayUnavailableException(fromEpoch, firstReplayableEpoch());
    }
    return new It(vshard, start, toEpoch, firstEpoch);
  }

  private final class It implements Iterator<SequencedTxn> {
    private final int vshard;
    private final long toEpoch;
    private final long firstEpoch;
    // Replays only entries that were applied, grouped batches included.
    private final EntryDecoder decoder = new EntryDecoder().readGrouped(true);
    private final Participants participants = new Participants(router);
    private long record;
    private List<Txn> txns = List.of();
    private long epoch;
    private long ms;
    private int pos;
    private int[] holes; // the epoch's empty positions, ascending, or null
    private int hole; // the next of them
    private SequencedTxn next;

    It(int vshard, long record, long toEpoch, long firstEpoch) {
      this.vshard = vshard;
      this.record = record;
      this.toEpoch = toEpoch;
      this.firstEpoch = firstEpoch;
    }

    @Override
    public boolean hasNext() {
      while (next == null) {
        while (pos < txns.size()) {
          Txn t = txns.get(pos);
          int p = pos++;
          if (holes != null && hole < holes.length && holes[hole] == p) {
            hole++; // not sequenced (a retry): the live path delivered nothing here either
            continue;
          }
          if (participants.touches(t, vshard)) {
            next = Participants.sequence(t, epoch, p, ms);
            return true;
          }
        }
        if (!loadNextEpoch()) {
          return false;
        }
      }
      return true;
    }

    private boolean loadNextEpoch() {
      if (record >= index.end()) {
        return false;
      }
      long e;
      long logIndex;
      try {
        e = index.epochAt(record);
        logIndex = index.indexAt(record);
        ms = index.msAt(record);
        holes = index.holesAt(record);
      } catch (IndexOutOfBoundsException gone) {
        throw new ReplayUnavailableException(epoch + 1, index.firstReplayableEpoch());
      }
      if (e > toEpoch) {
        return false;
      }
      record++;
      ByteBuffer bytes = log.read(logIndex);
      if (bytes == null) {
        throw new ReplayUnavailableException(e, firstReplayableEpoch());
      }
      SequencerEntry entry;
      try {
        entry = decoder.decode(bytes);
      } catch (CodecException ex) {
        throw new IllegalStateException(
            "entry " + logIndex + " of applied epoch " + e + " no longer decodes", ex);
      }
      if (!(entry instanceof EpochBatch b)) {
        throw new IllegalStateException("entry " + logIndex + " of epoch " + e + " is not a batch");
      }
      epoch = e;
      txns = b.txns();
      pos = 0;
      hole = 0;
      return true;
    }

    @Override
    public SequencedTxn next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      SequencedTxn n = next;
      next = null;
      return n;
    }
  }
}
