package org.calvinseq.cli;

/**
 * The due times of one bench thread's paced steps: one every {@code interval} nanoseconds from the
 * start, each latency counted from its step's due time (no coordinated omission). A step still
 * unsent when the measured window starts is skipped: the window's load starts on schedule, so a
 * backlog the cold JVMs built in the warm-up is not measured as the window's latency, while falling
 * behind inside the window still is. Not thread-safe: one per thread.
 */
final class Pacer {
  private final long interval;
  private final long windowFrom;
  private long due;
  private boolean inWindow;

  /**
   * @param startNanos when the first step is due ({@link System#nanoTime()} time)
   * @param interval nanoseconds between steps, at least 1
   * @param windowFrom when the measured window starts
   */
  Pacer(long startNanos, long interval, long windowFrom) {
    if (interval < 1) {
      throw new IllegalArgumentException("interval must be >= 1: " + interval);
    }
    this.interval = interval;
    this.windowFrom = windowFrom;
    this.due = startNanos;
  }

  /** How long to wait at {@code now} for the next step to fall due; zero or less: it is due. */
  long waitNanos(long now) {
    if (!inWindow && now - windowFrom >= 0) {
      inWindow = true;
      if (due - windowFrom < 0) {
        due = windowFrom;
      }
    }
    return due - now;
  }

  /** Takes the step that is due: returns its due time, and the next step is one interval later. */
  long take() {
    long d = due;
    due += interval;
    return d;
  }
}
