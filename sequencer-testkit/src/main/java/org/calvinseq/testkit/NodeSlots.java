package org.calvinseq.testkit;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * The members of a {@link LocalCluster} as they run now: one handle per member (null while it is
 * stopped) and how often each was started. Starts and stops hold one lock, so that a supervisor's
 * restart and a test's stop do not interleave.
 */
final class NodeSlots {
  private final NodeLauncher launcher;
  private final NodeHandle[] handles;
  private final AtomicIntegerArray generations;
  private final Object lock = new Object();

  NodeSlots(NodeLauncher launcher, int size) {
    this.launcher = launcher;
    this.handles = new NodeHandle[size];
    this.generations = new AtomicIntegerArray(size);
  }

  int size() {
    return handles.length;
  }

  /** Member {@code i}'s handle, or null while it is stopped. */
  NodeHandle get(int i) {
    return handles[i];
  }

  int generation(int i) {
    return generations.get(i);
  }

  Object lock() {
    return lock;
  }

  /** Starts members {@code which}; returns once each one is up. */
  void start(List<Integer> which) throws IOException {
    synchronized (lock) {
      launcher.start(
          which,
          (i, handle) -> {
            handles[i] = handle;
            generations.incrementAndGet(i);
          });
    }
  }

  void startAll() throws IOException {
    List<Integer> all = new ArrayList<>();
    for (int i = 0; i < handles.length; i++) {
      all.add(i);
    }
    start(all);
  }

  /** Starts every member that is not running, the dead ones included. */
  void startStopped() throws IOException {
    synchronized (lock) {
      List<Integer> which = new ArrayList<>();
      for (int i = 0; i < handles.length; i++) {
        if (handles[i] == null || !handles[i].isAlive()) {
          handles[i] = null;
          which.add(i);
        }
      }
      start(which);
    }
  }

  /** Stops member {@code i} if it runs: cleanly, or with no chance to clean up when killed. */
  void stop(int i, boolean kill) throws IOException {
    synchronized (lock) {
      NodeHandle n = handles[i];
      handles[i] = null;
      if (n != null) {
        launcher.stopping(i, n, kill);
        if (kill) {
          n.kill();
        } else {
          n.stop();
        }
      }
    }
  }

  /** Forgets member {@code i}'s handle (its process has exited) and starts it again. */
  void replace(int i) throws IOException {
    synchronized (lock) {
      handles[i] = null;
      start(List.of(i));
    }
  }
}
