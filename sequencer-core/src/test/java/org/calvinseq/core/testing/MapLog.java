package org.calvinseq.core.testing;

import java.nio.ByteBuffer;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.calvinseq.core.replay.LogSource;

/** An in-memory committed log: Raft index to entry bytes. Indexes need not be contiguous. */
public final class MapLog implements LogSource {
  private final NavigableMap<Long, byte[]> entries = new TreeMap<>();
  private int reads;

  public void put(long index, byte[] bytes) {
    if (!entries.isEmpty() && index <= entries.lastKey()) {
      throw new IllegalArgumentException("log indexes must rise: " + index);
    }
    entries.put(index, bytes);
  }

  /** Forgets every entry below {@code index}, as a log purge after a snapshot does. */
  public void purgeBelow(long index) {
    entries.headMap(index, false).clear();
  }

  public NavigableMap<Long, byte[]> entries() {
    return entries;
  }

  /** How many reads the replay path made (to show it ran, or that it did not). */
  public int reads() {
    return reads;
  }

  @Override
  public ByteBuffer read(long index) {
    reads++;
    byte[] b = entries.get(index);
    return b == null ? null : ByteBuffer.wrap(b).asReadOnlyBuffer();
  }
}
