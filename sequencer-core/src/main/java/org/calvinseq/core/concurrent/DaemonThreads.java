package org.calvinseq.core.concurrent;

import java.util.Objects;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Daemon threads with names that say whose they are, for the client's and the server's background
 * work: a JVM that embeds a client or a node must be able to exit without closing it first, and a
 * thread dump must show which component each thread belongs to. Never used on the apply path.
 */
public final class DaemonThreads {
  private DaemonThreads() {}

  /** A factory of daemon threads named {@code prefix-1}, {@code prefix-2}, ... */
  public static ThreadFactory factory(String prefix) {
    Objects.requireNonNull(prefix, "prefix");
    AtomicInteger n = new AtomicInteger();
    return task -> newThread(prefix + "-" + n.incrementAndGet(), task);
  }

  /** A daemon thread named {@code name} that will run {@code task}, not yet started. */
  public static Thread newThread(String name, Runnable task) {
    Thread t = new Thread(task, name);
    t.setDaemon(true);
    return t;
  }

  /** Starts a daemon thread named {@code name} that runs {@code task}. */
  public static Thread start(String name, Runnable task) {
    Thread t = newThread(name, task);
    t.start();
    return t;
  }
}
