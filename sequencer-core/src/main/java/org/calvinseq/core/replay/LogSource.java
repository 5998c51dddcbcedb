package org.calvinseq.core.replay;

import java.nio.ByteBuffer;

/** Read access to committed log entries by Raft index. */
public interface LogSource {
  /** The entry's state-machine bytes at {@code index}, or null if the log no longer holds it. */
  ByteBuffer read(long index);

  /** The lowest index the log still holds (entries below it were purged). */
  default long firstIndex() {
    return 0;
  }
}
