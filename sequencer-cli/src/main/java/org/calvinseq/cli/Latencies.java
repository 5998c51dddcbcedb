package org.calvinseq.cli;

import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * One latency the bench measures: recorded by the answering threads, taken once a second by the
 * bench's main thread as that second's histogram, and added up over the measured window.
 */
final class Latencies {
  private static final long MAX_MICROS = TimeUnit.SECONDS.toMicros(120);

  private final Recorder recorder = new Recorder(MAX_MICROS, 3);
  private final Histogram total = new Histogram(MAX_MICROS, 3);
  private Histogram interval; // the main thread's only

  /** Records {@code count} txns that took from {@code fromNanos} to {@code toNanos}. */
  void record(long fromNanos, long toNanos, int count) {
    recorder.recordValueWithCount(
        Math.min(Math.max(0, (toNanos - fromNanos) / 1000), MAX_MICROS), count);
  }

  /**
   * The latencies recorded since the previous call, in microseconds; added to the total when {@code
   * measuring}.
   */
  Histogram interval(boolean measuring) {
    interval = recorder.getIntervalHistogram(interval);
    if (measuring) {
      total.add(interval);
    }
    return interval;
  }

  /** The latencies of every interval taken while measuring, in microseconds. */
  Histogram total() {
    return total;
  }
}
