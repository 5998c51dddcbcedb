package org.calvinseq.core.replay;

import java.nio.ByteBuffer;

/** Read access to committed log entries by Raft index. */
public interface LogSource {
  /** The entry's state-machine bytes at {@code index}, or null if the log no longer holds it. */
  ByteBuffer read(long index);
}
