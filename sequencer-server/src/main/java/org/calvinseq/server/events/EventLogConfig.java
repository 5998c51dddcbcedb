package org.calvinseq.server.events;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Settings of the event log.
 *
 * @param file the log file; a relative path is resolved against the node's data directory
 * @param maxBytes rotate before a line would take the file over this size (at least 4 KiB)
 * @param generations rotated files kept besides the live one: {@code file.1} (newest) to {@code
 *     file.<generations>} (oldest); 1 to 100
 * @param syncEvery force the file to disk (fdatasync) every this many lines; 0 leaves it to the OS
 * @param queueCapacity events that may wait for the writer thread; more are dropped and counted
 */
public record EventLogConfig(
    Path file, long maxBytes, int generations, int syncEvery, int queueCapacity) {
  public static final long DEFAULT_MAX_BYTES = 16L << 20;
  public static final int DEFAULT_GENERATIONS = 5;
  public static final int DEFAULT_QUEUE_CAPACITY = 4096;

  public EventLogConfig {
    Objects.requireNonNull(file, "file");
    if (maxBytes < 4096) {
      throw new IllegalArgumentException("event log maxBytes must be >= 4096: " + maxBytes);
    }
    if (generations < 1 || generations > 100) {
      throw new IllegalArgumentException("event log generations must be 1..100: " + generations);
    }
    if (syncEvery < 0) {
      throw new IllegalArgumentException("event log syncEvery must be >= 0: " + syncEvery);
    }
    if (queueCapacity < 1) {
      throw new IllegalArgumentException("event log queueCapacity must be >= 1: " + queueCapacity);
    }
  }

  /** {@code file} with the defaults: 16 MiB per file, 5 generations, no forced sync. */
  public static EventLogConfig of(Path file) {
    return new EventLogConfig(
        file, DEFAULT_MAX_BYTES, DEFAULT_GENERATIONS, 0, DEFAULT_QUEUE_CAPACITY);
  }

  public EventLogConfig withMaxBytes(long bytes) {
    return new EventLogConfig(file, bytes, generations, syncEvery, queueCapacity);
  }

  public EventLogConfig withGenerations(int n) {
    return new EventLogConfig(file, maxBytes, n, syncEvery, queueCapacity);
  }

  public EventLogConfig withSyncEvery(int lines) {
    return new EventLogConfig(file, maxBytes, generations, lines, queueCapacity);
  }

  public EventLogConfig withQueueCapacity(int n) {
    return new EventLogConfig(file, maxBytes, generations, syncEvery, n);
  }

  /** This config with a relative {@code file} resolved against {@code dir}. */
  public EventLogConfig resolveAgainst(Path dir) {
    return file.isAbsolute()
        ? this
        : new EventLogConfig(dir.resolve(file), maxBytes, generations, syncEvery, queueCapacity);
  }
}
