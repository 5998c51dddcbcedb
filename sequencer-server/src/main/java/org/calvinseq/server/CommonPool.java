package org.calvinseq.server;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JVM's common fork-join pool, which Ratis runs work on. Ratis's follower log append (3.3.0,
 * {@code ServerImplUtils.NavigableIndices.append}) calls {@code thenComposeAsync} without an
 * executor, which runs on the common pool, but when the common pool's parallelism is below 2 (the
 * default on a machine with 2 cores or fewer), {@link java.util.concurrent.CompletableFuture}
 * starts a new thread for every such task instead. A follower then starts a thread per append:
 * profiled at about 110 threads a second on a 2-core machine under 64 submitting clients, which
 * halved the cluster's throughput (docs/performance.md, "The common pool").
 */
public final class CommonPool {
  /** The system property the JVM reads, once, when it creates the common pool. */
  public static final String PARALLELISM_PROPERTY =
      "java.util.concurrent.ForkJoinPool.common.parallelism";

  /** The parallelism below which {@code CompletableFuture} starts a thread per async task. */
  public static final int MIN_PARALLELISM = 2;

  /**
   * The parallelism {@link #ensureParallelism} sets: well above the minimum, because some of the
   * tasks Ratis runs there wait, and with 2 threads a test JVM running three servers stalled (a
   * group-info answer took over 3 s). Idle pool threads end by themselves.
   */
  public static final int PARALLELISM = 8;

  /** Whether this JVM warned that the common pool starts a thread per task. */
  private static final AtomicBoolean WARNED = new AtomicBoolean();

  private CommonPool() {}

  /**
   * Sets the common pool's parallelism to {@link #PARALLELISM} unless it is set already or the
   * machine's default is at least {@link #MIN_PARALLELISM}. Only effective before anything uses the
   * common pool, so a program calls it first in {@code main}.
   */
  public static void ensureParallelism() {
    if (System.getProperty(PARALLELISM_PROPERTY) == null
        && Runtime.getRuntime().availableProcessors() - 1 < MIN_PARALLELISM) {
      System.setProperty(PARALLELISM_PROPERTY, Integer.toString(PARALLELISM));
    }
  }

  /** Whether the common pool runs async tasks on its threads rather than a new thread each. */
  public static boolean pooled() {
    return ForkJoinPool.getCommonPoolParallelism() >= MIN_PARALLELISM;
  }

  /** Logs, once per JVM, a warning when {@link #pooled} is false; a node calls it as it starts. */
  static void warnOnceIfUnpooled() {
    if (!pooled() && WARNED.compareAndSet(false, true)) {
      // The logger only here: ensureParallelism runs first in a program's main, before it has
      // chosen its logging configuration, and must not make logback configure itself.
      Logger log = LoggerFactory.getLogger(CommonPool.class);
      log.warn(
          "the JVM's common pool has parallelism {}, so Ratis starts a thread for every log append"
              + " a follower receives; start the JVM with -D{}={} (the sequencer command does)",
          ForkJoinPool.getCommonPoolParallelism(),
          PARALLELISM_PROPERTY,
          PARALLELISM);
    }
  }
}
