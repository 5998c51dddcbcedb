package org.calvinseq.cli;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a long-lived command's stop action exactly once: from a JVM shutdown hook on SIGTERM or
 * Ctrl-C, or from the command itself when it ends on its own (a {@code --duration} elapsed). The
 * command thread waits in {@link #await}.
 */
final class GracefulStop {
  private static final Logger LOG = LoggerFactory.getLogger(GracefulStop.class);

  /** What to stop. */
  interface Action {
    void run() throws Exception;
  }

  private final String what;
  private final Action action;
  private final Thread hook;
  private final CountDownLatch done = new CountDownLatch(1);
  private boolean stopped;

  private GracefulStop(String what, Action action) {
    this.what = what;
    this.action = action;
    this.hook = new Thread(() -> stop("shutdown signal received"), "shutdown-" + what);
  }

  /** Registers the shutdown hook; call before starting what {@code action} stops. */
  static GracefulStop install(String what, Action action) {
    GracefulStop s = new GracefulStop(what, action);
    Runtime.getRuntime().addShutdownHook(s.hook);
    return s;
  }

  /**
   * Waits until the stop action has run, at most {@code timeout} (null: without limit).
   *
   * @return true when it has run, false when the timeout passed first
   */
  boolean await(Duration timeout) throws InterruptedException {
    if (timeout == null) {
      done.await();
      return true;
    }
    return done.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  synchronized boolean isStopped() {
    return stopped;
  }

  /** Runs the stop action unless it ran already, and unregisters the hook. */
  void stopNow(String reason) {
    stop(reason);
    unregister();
  }

  /** Unregisters the hook without running the action: start-up failed, the caller cleans up. */
  synchronized void abandon() {
    stopped = true;
    done.countDown();
    unregister();
  }

  private synchronized void stop(String reason) {
    if (stopped) {
      return;
    }
    stopped = true;
    LOG.info("stopping {}: {}", what, reason);
    quietRatisShutdownNoise();
    try {
      action.run();
      LOG.info("{} shut down cleanly", what);
    } catch (Exception e) {
      LOG.error("{} did not shut down cleanly", what, e);
    } finally {
      done.countDown();
    }
  }

  /**
   * Ratis logs every stream a stopping peer cancels, and every log appender it interrupts, at WARN
   * ("APPEND_ENTRIES onError ... CANCELLED", "... is interrupted"): a clean stop of a cluster
   * printed a screenful of them. Raise those two loggers to ERROR for the rest of the process, from
   * the moment the stop begins; while the process runs, their WARN lines mean a peer is unreachable
   * and stay visible, and errors stay visible throughout.
   */
  static void quietRatisShutdownNoise() {
    for (String name : RATIS_SHUTDOWN_NOISE) {
      if (LoggerFactory.getLogger(name) instanceof ch.qos.logback.classic.Logger l) {
        l.setLevel(ch.qos.logback.classic.Level.ERROR);
      }
    }
  }

  /** The Ratis loggers that report a peer's own stop as a failure. */
  static final java.util.List<String> RATIS_SHUTDOWN_NOISE =
      java.util.List.of(
          "org.apache.ratis.grpc.server.GrpcServerProtocolService",
          "org.apache.ratis.grpc.server.GrpcLogAppender");

  private void unregister() {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // The JVM is already shutting down: the hook runs or ran.
    }
  }
}
