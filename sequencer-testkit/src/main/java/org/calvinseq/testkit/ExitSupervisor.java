package org.calvinseq.testkit;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.calvinseq.core.concurrent.DaemonThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Like a service manager's {@code Restart=}: starts a member process again when it exits on its own
 * with a given status ({@link LocalCluster.Builder#restartOnExit}), and remembers each such
 * restart.
 */
final class ExitSupervisor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ExitSupervisor.class);
  private static final long POLL_MS = 200;

  /** Starts member {@code index} again; called with the cluster's lifecycle lock held. */
  @FunctionalInterface
  interface Restart {
    void restart(int index) throws IOException;
  }

  private final int status;
  private final Object lock;
  private final IntFunction<NodeHandle> current;
  private final Restart restart;
  private final List<List<Integer>> restarts = new ArrayList<>();
  private final Thread thread;
  private volatile boolean closing;

  /**
   * Watches members {@code 0..size-1}, as {@code current} gives them, under {@code lock} (the one
   * their stops and starts hold).
   */
  ExitSupervisor(int status, int size, Object lock, IntFunction<NodeHandle> current, Restart r) {
    this.status = status;
    this.lock = lock;
    this.current = current;
    this.restart = r;
    for (int i = 0; i < size; i++) {
      restarts.add(new CopyOnWriteArrayList<>());
    }
    this.thread = DaemonThreads.start("local-cluster-supervisor", this::run);
  }

  /** The exit statuses after which member {@code i} was started again, oldest first. */
  List<Integer> restarts(int i) {
    return List.copyOf(restarts.get(i));
  }

  private void run() {
    while (!closing) {
      try {
        Thread.sleep(POLL_MS);
        for (int i = 0; i < restarts.size() && !closing; i++) {
          synchronized (lock) {
            if (!closing
                && current.apply(i) instanceof ProcessNode p
                && !p.isAlive()
                && p.exitStatus() == status) {
              LOG.info("member {} exited with status {}; starting it again", i, status);
              try {
                restart.restart(i);
              } finally {
                // Only now: a caller that sees the entry finds the new process started.
                restarts.get(i).add(status);
              }
            }
          }
        }
      } catch (InterruptedException e) {
        return;
      } catch (IOException | RuntimeException | AssertionError e) {
        LOG.warn("the supervisor could not start a node again", e);
      }
    }
  }

  /** Stops watching, waiting for a restart under way to finish. */
  @Override
  public void close() {
    closing = true;
    thread.interrupt();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(120));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
