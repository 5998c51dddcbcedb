package org.calvinseq.cli;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * What one bench thread does: sends the steps of its senders as they fall due and fit under their
 * outstanding limits, and sleeps in between. One sender per thread is the bench's classic shape
 * (each of {@code --clients} threads sleeps until its own next step); several senders per thread
 * ({@code --drivers}) is pacing in ticks: a thread wakes at most once per {@code tick}, sends every
 * step that fell due meanwhile, and goes back to sleep, so the machine pays a thread wake-up per
 * tick instead of one per step. Latency still counts from each step's due time ({@link Pacer}), so
 * the tick's delay is part of what the bench measures.
 *
 * <p>A step that is due but does not fit waits for an answer to free room: unpaced senders, and
 * paced ones without a tick, sleep until an answer {@link Waker#answered wakes} the thread; paced
 * ones with a tick retry at the next tick.
 */
final class SendLoop {
  /** The longest sleep, so that a stop is seen within it. */
  static final long MAX_SLEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  /** One stream of steps. */
  interface Sender {
    /** Nanoseconds from {@code now} until the next step is due; zero or less when it is due. */
    long waitNanos(long now);

    /** Whether the next step fits under the sender's limit of unanswered txns now. */
    boolean hasRoom();

    /** Sends the step that is due (at {@code now}) without blocking. */
    void send(long now);
  }

  /** Where the next scan should happen, from one {@link #sendDue} pass. */
  record Scan(long nextDue, boolean blocked) {}

  /**
   * Sends, sender by sender, every step due at {@code now} that fits. Returns the earliest due time
   * of the steps not yet due ({@code Long.MAX_VALUE} when none is) and whether some due step did
   * not fit.
   */
  static Scan sendDue(List<? extends Sender> senders, long now, BooleanSupplier stop) {
    long next = Long.MAX_VALUE;
    boolean blocked = false;
    for (Sender s : senders) {
      while (!stop.getAsBoolean()) {
        long wait = s.waitNanos(now);
        if (wait > 0) {
          next = Math.min(next, now + wait);
          break;
        }
        if (!s.hasRoom()) {
          blocked = true;
          break;
        }
        s.send(now);
      }
    }
    return new Scan(next, blocked);
  }

  /**
   * When to scan next after {@code scan} at {@code now}: with a tick, a tick later (a blocked step
   * is retried then), or at the next due step if that is later; without one, at the next due step
   * (a blocked step then waits for an answer, {@link #awaitsAnswer}).
   */
  static long wakeAt(Scan scan, long now, long tickNanos) {
    if (tickNanos == 0) {
      return scan.nextDue();
    }
    return scan.blocked() ? now + tickNanos : Math.max(scan.nextDue(), now + tickNanos);
  }

  /** Whether an answer must wake the thread: a due step waits for room, and no tick retries it. */
  static boolean awaitsAnswer(Scan scan, long tickNanos) {
    return scan.blocked() && tickNanos == 0;
  }

  /**
   * Runs {@code senders} on the calling thread until {@code stop}. {@code tickNanos} is the least
   * time between two scans, for paced senders only (0: scan when the next step falls due, and wait
   * for an answer when a due step does not fit). {@code waker} must be the one the senders' answers
   * call.
   */
  static void run(
      List<? extends Sender> senders, long tickNanos, Waker waker, BooleanSupplier stop) {
    while (!stop.getAsBoolean()) {
      long now = System.nanoTime();
      Scan scan = sendDue(senders, now, stop);
      long at = wakeAt(scan, now, tickNanos);
      if (awaitsAnswer(scan, tickNanos)) {
        waker.awaitAnswer(senders, now, sleepNanos(at, now));
      } else {
        long sleep = sleepNanos(at, System.nanoTime());
        if (sleep > 0) {
          LockSupport.parkNanos(sleep);
        }
      }
    }
  }

  /**
   * Nanoseconds from {@code now} to {@code at} ({@code Long.MAX_VALUE}: never), at most the cap.
   */
  static long sleepNanos(long at, long now) {
    return at == Long.MAX_VALUE ? MAX_SLEEP_NANOS : Math.min(MAX_SLEEP_NANOS, at - now);
  }

  /**
   * How answers wake a sending thread that waits for room: the thread says it waits, checks for
   * room once more, and parks; an answer frees its room first and then wakes the thread only if it
   * waits. Both sides write before they read (volatile, and the senders' atomic counts), so one of
   * them sees the other and no wake-up is lost.
   */
  static final class Waker {
    private volatile Thread waiting;

    /** Called by an answer after it freed room. */
    void answered() {
      Thread t = waiting;
      if (t != null) {
        LockSupport.unpark(t);
      }
    }

    /** Parks for at most {@code maxNanos} unless a step due at {@code now} fits already. */
    void awaitAnswer(List<? extends Sender> senders, long now, long maxNanos) {
      waiting = Thread.currentThread();
      try {
        for (Sender s : senders) {
          if (s.waitNanos(now) <= 0 && s.hasRoom()) {
            return;
          }
        }
        if (maxNanos > 0) {
          LockSupport.parkNanos(maxNanos);
        }
      } finally {
        waiting = null;
      }
    }
  }

  private SendLoop() {}
}
