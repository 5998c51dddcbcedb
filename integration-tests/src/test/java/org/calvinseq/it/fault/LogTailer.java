package org.calvinseq.it.fault;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.calvinseq.core.protocol.NodeStatus;
import org.calvinseq.it.fault.History.NodeLog;
import org.calvinseq.it.fault.History.NodeLogBuilder;
import org.calvinseq.server.testkit.LocalCluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies the committed log while the run goes on, from whichever node answers, so that the checker
 * sees every epoch from 0 even when the nodes have purged their logs by the end. Each round reads a
 * range one node has applied, from that node alone, so the range is complete; agreement with each
 * node's own log is the checker's business.
 */
final class LogTailer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LogTailer.class);

  private final LocalCluster cluster;
  private final int vshards;
  private final NodeLogBuilder log = new NodeLogBuilder("tailed log", 0, Long.MAX_VALUE);
  private final Thread thread;
  private volatile boolean running = true;
  private long next;
  private volatile String lastFailure = "none";

  LogTailer(LocalCluster cluster, int vshards) {
    this.cluster = cluster;
    this.vshards = vshards;
    this.thread = new Thread(this::run, "log-tailer");
    thread.setDaemon(true);
  }

  LogTailer start() {
    thread.start();
    return this;
  }

  private void run() {
    while (running) {
      round(Long.MAX_VALUE);
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(250)); // polling cadence
    }
  }

  /**
   * Reads the next range, up to {@code limit}, from the node that has applied the most (falling
   * back to the others); false when no node could serve it.
   */
  private synchronized boolean round(long limit) {
    List<long[]> candidates = new ArrayList<>(); // {node, generation, last applied epoch}
    for (int i = 0; i < cluster.size(); i++) {
      int generation = cluster.generation(i);
      NodeStatus s = cluster.isRunning(i) ? cluster.status(i) : null;
      if (s != null) {
        candidates.add(new long[] {i, generation, s.lastAppliedEpoch()});
      }
    }
    candidates.sort((a, b) -> Long.compare(b[2], a[2]));
    for (long[] c : candidates) {
      int i = (int) c[0];
      long to = Math.min(limit, c[2]);
      if (to < next) {
        return true;
      }
      try {
        // A node that restarts during the round comes back behind, and its replay stops at what it
        // has applied: only a round served by one incarnation that reached `to` is complete.
        NodeLogBuilder part = new NodeLogBuilder("", next, to);
        NodeLogs.add(part, cluster, i, vshards, next, to);
        NodeStatus after = cluster.status(i);
        if (cluster.generation(i) != c[1] || after == null || after.lastAppliedEpoch() < to) {
          continue;
        }
        part.build()
            .epochs()
            .forEach(
                (e, txns) -> {
                  for (int p = 0; p < txns.size(); p++) {
                    if (txns.get(p) != null) {
                      for (int v : txns.get(p).vshards()) {
                        log.add(e, p, txns.get(p).id(), v);
                      }
                    }
                  }
                });
        next = to + 1;
        return true;
      } catch (RuntimeException e) {
        lastFailure = cluster.nodeId(i) + " from epoch " + next + ": " + e;
        LOG.debug("tailing from {} failed: {}", cluster.nodeId(i), e.toString());
      }
    }
    return false;
  }

  /** Stops tailing in the background and reads on up to {@code finalEpoch}. */
  NodeLog finish(long finalEpoch, Duration timeout) {
    running = false;
    LockSupport.unpark(thread);
    try {
      thread.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    LocalCluster.await(
        timeout,
        () -> {
          round(finalEpoch);
          return next > finalEpoch;
        },
        "the tailer to read up to epoch " + finalEpoch,
        () -> " [tailer at epoch " + next + "; last failure: " + lastFailure + "]");
    synchronized (this) {
      NodeLog l = log.build();
      return new NodeLog("tailed log", 0, finalEpoch, l.epochs());
    }
  }

  @Override
  public void close() {
    running = false;
    LockSupport.unpark(thread);
    try {
      thread.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
