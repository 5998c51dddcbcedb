package org.calvinseq.server.inbox;

/**
 * The time the {@link LeaderInbox} reads: a monotonic clock for its intervals and a wall clock for
 * the epochs' {@code proposerMs}. Injected so that tests drive it by hand.
 */
public interface InboxClock {
  /** Monotonic nanoseconds, as {@link System#nanoTime()}. */
  long nanoTime();

  /** Wall-clock milliseconds, as {@link System#currentTimeMillis()}. */
  long wallMillis();

  /** The system's clocks. */
  static InboxClock system() {
    return SystemClock.INSTANCE;
  }

  /** {@link #system()}. */
  enum SystemClock implements InboxClock {
    INSTANCE;

    @Override
    public long nanoTime() {
      return System.nanoTime();
    }

    @Override
    public long wallMillis() {
      return System.currentTimeMillis();
    }
  }
}
