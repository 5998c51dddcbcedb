package org.calvinseq.core.replay;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where each applied epoch lives in the log: {@code (epoch, log index, epochSystemMs)} for every
 * batch that was applied, oldest first, bounded by a retention count, and the epoch's empty
 * positions (txns of the batch that were not sequenced: retries, docs/wire-format.md section 9a).
 * Replay uses it to read the entries of an epoch range and to stamp them exactly as the live path
 * did.
 *
 * <p>One writer (the apply thread) and any number of readers. Records live in fixed-size chunks
 * that are never modified once written; the writer publishes new records through a volatile
 * counter, so readers never lock and never see a half-written record.
 */
public final class EpochIndex {
  static final int CHUNK = 4096;

  private static final class Chunk {
    final long[] epoch = new long[CHUNK];
    final long[] index = new long[CHUNK];
    final long[] ms = new long[CHUNK];
    int[][] holes; // allocated with the chunk's first record that has empty positions
  }

  /**
   * The empty positions of one epoch: the positions of its batch that no txn took.
   *
   * @param positions ascending, each at least 0
   */
  public record Holes(long epoch, int[] positions) {
    public Holes {
      positions = positions.clone();
      for (int i = 0; i < positions.length; i++) {
        if (positions[i] < 0 || (i > 0 && positions[i] <= positions[i - 1])) {
          throw new IllegalArgumentException(
              "epoch " + epoch + ": empty positions must ascend: " + Arrays.toString(positions));
        }
      }
    }

    @Override
    public int[] positions() {
      return positions.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Holes h && epoch == h.epoch && Arrays.equals(positions, h.positions);
    }

    @Override
    public int hashCode() {
      return Long.hashCode(epoch) * 31 + Arrays.hashCode(positions);
    }

    @Override
    public String toString() {
      return "Holes[" + epoch + ": " + Arrays.toString(positions) + "]";
    }
  }

  /**
   * An immutable view of the chunk array; chunk {@code i} holds records {@code (base+i)*CHUNK..}.
   */
  private record View(Chunk[] chunks, long baseChunk) {}

  private final long retention;
  private volatile View view = new View(new Chunk[0], 0);
  private volatile long first; // first retained record number
  private volatile long end; // one past the last record number
  private volatile long droppedThroughEpoch = -1; // highest epoch dropped from the index

  /**
   * @param retention how many epochs to keep; older ones are dropped as new ones arrive
   */
  public EpochIndex(long retention) {
    if (retention < 1) {
      throw new IllegalArgumentException("retention must be >= 1: " + retention);
    }
    this.retention = retention;
  }

  public long retention() {
    return retention;
  }

  /** Appends a record with no empty positions; epochs and log indexes must rise. Writer only. */
  public void append(long epoch, long logIndex, long epochSystemMs) {
    append(epoch, logIndex, epochSystemMs, null);
  }

  /**
   * Appends a record; epochs and log indexes must rise. Writer thread only.
   *
   * @param holes the epoch's empty positions, ascending, which the index keeps (the caller gives
   *     the array up); null or empty for none
   */
  public void append(long epoch, long logIndex, long epochSystemMs, int[] holes) {
    long n = end;
    if (n > first) {
      long lastEpoch = epochAt(n - 1);
      if (epoch <= lastEpoch || logIndex <= indexAt(n - 1)) {
        throw new IllegalStateException(
            "epoch index must rise: " + epoch + "@" + logIndex + " after " + lastEpoch);
      }
    }
    View v = view;
    long chunkNo = n / CHUNK;
    int slot = (int) (n % CHUNK);
    if (chunkNo - v.baseChunk >= v.chunks.length) {
      Chunk[] grown = Arrays.copyOf(v.chunks, v.chunks.length + 1);
      grown[grown.length - 1] = new Chunk();
      v = new View(grown, v.baseChunk);
      view = v;
    }
    Chunk c = v.chunks[(int) (chunkNo - v.baseChunk)];
    c.epoch[slot] = epoch;
    c.index[slot] = logIndex;
    c.ms[slot] = epochSystemMs;
    if (holes != null && holes.length > 0) {
      if (c.holes == null) {
        c.holes = new int[CHUNK][];
      }
      c.holes[slot] = holes;
    } else if (c.holes != null) {
      c.holes[slot] = null; // a chunk is never reused, but be exact
    }
    end = n + 1; // publishes the record, its empty positions included
    if (end - first > retention) {
      dropBefore(end - retention);
    }
  }

  /** Drops every record whose log index is below {@code logIndex} (the log was purged there). */
  public void dropBelowLogIndex(long logIndex) {
    dropBefore(seekLogIndex(logIndex));
  }

  /** Record number of the first record with log index >= {@code logIndex}, or {@link #end()}. */
  public long seekLogIndex(long logIndex) {
    long lo = first;
    long hi = end;
    while (lo < hi) {
      long mid = (lo + hi) >>> 1;
      if (indexAt(mid) < logIndex) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private void dropBefore(long n) {
    if (n <= first) {
      return;
    }
    droppedThroughEpoch = Math.max(droppedThroughEpoch, epochAt(n - 1));
    first = n;
    View v = view;
    long keepFromChunk = n / CHUNK;
    if (keepFromChunk > v.baseChunk) {
      int drop = (int) Math.min(keepFromChunk - v.baseChunk, v.chunks.length);
      view = new View(Arrays.copyOfRange(v.chunks, drop, v.chunks.length), v.baseChunk + drop);
    }
  }

  public boolean isEmpty() {
    return end == first;
  }

  public long size() {
    return end - first;
  }

  /** The first retained epoch, or -1 when empty. */
  public long firstEpoch() {
    long f = first;
    return end > f ? epochAt(f) : -1;
  }

  /**
   * The oldest epoch a replay may start at: every epoch from here on that was applied is still
   * indexed. Epochs below it were dropped by retention or log purging.
   */
  public long firstReplayableEpoch() {
    return droppedThroughEpoch + 1;
  }

  /** Highest epoch dropped from the index, or -1. */
  public long droppedThroughEpoch() {
    return droppedThroughEpoch;
  }

  /** The last recorded epoch, or -1 when empty. */
  public long lastEpoch() {
    long e = end;
    return e > first ? epochAt(e - 1) : -1;
  }

  /** Record number of the first record with epoch >= {@code epoch}, or {@link #end()}. */
  public long seekEpoch(long epoch) {
    long lo = first;
    long hi = end;
    while (lo < hi) {
      long mid = (lo + hi) >>> 1;
      if (epochAt(mid) < epoch) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** Record number of the record at exactly {@code logIndex}, or -1. */
  public long findLogIndex(long logIndex) {
    long lo = first;
    long hi = end;
    while (lo < hi) {
      long mid = (lo + hi) >>> 1;
      long idx = indexAt(mid);
      if (idx < logIndex) {
        lo = mid + 1;
      } else if (idx > logIndex) {
        hi = mid;
      } else {
        return mid;
      }
    }
    return -1;
  }

  public long start() {
    return first;
  }

  public long end() {
    return end;
  }

  public long epochAt(long n) {
    return chunkOf(n).epoch[(int) (n % CHUNK)];
  }

  public long indexAt(long n) {
    return chunkOf(n).index[(int) (n % CHUNK)];
  }

  public long msAt(long n) {
    return chunkOf(n).ms[(int) (n % CHUNK)];
  }

  /**
   * The empty positions of record {@code n}, ascending, or null when it has none. The array is the
   * index's own: read it, do not change it.
   */
  public int[] holesAt(long n) {
    Chunk c = chunkOf(n);
    int[][] h = c.holes;
    return h == null ? null : h[(int) (n % CHUNK)];
  }

  private Chunk chunkOf(long n) {
    View v = view;
    long c = n / CHUNK - v.baseChunk;
    if (c < 0 || c >= v.chunks.length) {
      throw new IndexOutOfBoundsException("epoch index record " + n + " no longer retained");
    }
    return v.chunks[(int) c];
  }

  /** Copies the retained records out, oldest first, as {epoch, index, ms} triples. */
  public long[] export() {
    long f = first;
    long e = end;
    long[] out = new long[(int) ((e - f) * 3)];
    int o = 0;
    for (long n = f; n < e; n++) {
      out[o++] = epochAt(n);
      out[o++] = indexAt(n);
      out[o++] = msAt(n);
    }
    return out;
  }

  /** The empty positions of the retained records, oldest first, for snapshots. */
  public List<Holes> exportHoles() {
    long f = first;
    long e = end;
    List<Holes> out = new ArrayList<>();
    for (long n = f; n < e; n++) {
      int[] h = holesAt(n);
      if (h != null) {
        out.add(new Holes(epochAt(n), h));
      }
    }
    return out;
  }

  /** Replaces the contents with exported triples, none with empty positions. Writer only. */
  public void load(long droppedThrough, long[] triples) {
    load(droppedThrough, triples, List.of());
  }

  /**
   * Replaces the contents with exported triples and their empty positions (those of epochs the
   * triples do not hold are ignored). Writer thread only.
   */
  public void load(long droppedThrough, long[] triples, List<Holes> holes) {
    Map<Long, int[]> byEpoch = new HashMap<>();
    for (Holes h : holes) {
      byEpoch.put(h.epoch(), h.positions());
    }
    view = new View(new Chunk[0], 0);
    first = 0;
    end = 0;
    droppedThroughEpoch = droppedThrough;
    for (int i = 0; i + 2 < triples.length; i += 3) {
      append(triples[i], triples[i + 1], triples[i + 2], byEpoch.get(triples[i]));
    }
  }
}
