package org.calvinseq.it.fault;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.calvinseq.core.protocol.NodeStatus;
import org.calvinseq.core.replay.ReplayUnavailableException;
import org.calvinseq.it.fault.History.NodeLog;
import org.calvinseq.it.fault.History.NodeLogBuilder;
import org.calvinseq.testkit.LocalCluster;
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

  /**
   * Epochs read in one round: a node killed mid-round costs this much work, not everything behind.
   */
  private static final int MAX_EPOCHS_PER_ROUND = 500;

  private static final long SLOW_ROUND_MS = 2000;

  private final LocalCluster cluster;
  private final int vshards;
  private final NodeLogBuilder log = new NodeLogBuilder("tailed log", 0, Long.MAX_VALUE);
  private final Thread thread;
  private volatile boolean running = true;
  private long next;
  private volatile String lastFailure = "none";
  private volatile String fellBehind;

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
      if (!round(Long.MAX_VALUE)) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(250)); // polling cadence
      }
    }
  }

  /**
   * Reads the next range, at most {@link #MAX_EPOCHS_PER_ROUND} epochs up to {@code limit}, from
   * the node that has applied the most (falling back to the others); true when it read a range and
   * there is more to read at once.
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
    List<String> purged = new ArrayList<>();
    for (long[] c : candidates) {
      int i = (int) c[0];
      long applied = Math.min(limit, c[2]);
      if (applied < next) {
        return false;
      }
      long from = next;
      long to = Math.min(applied, from + MAX_EPOCHS_PER_ROUND - 1);
      long start = System.nanoTime();
      try {
        // A node that restarts during the round comes back behind, and its replay stops at what it
        // has applied: only a round served by one incarnation that reached `to` is complete.
        NodeLogBuilder part = new NodeLogBuilder("", next, to);
        NodeLogs.add(part, cluster, i, vshards, next, to);
        NodeStatus after = cluster.status(i);
        if (cluster.generation(i) != c[1] || after == null || after.lastAppliedEpoch() < to) {
          continue;
        }
        NodeLog read = part.build();
        read.epochs()
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
        LOG.debug(
            "read epochs {}..{} from {} (generation {}, {} epochs with txns)",
            from,
            to,
            cluster.nodeId(i),
            c[1],
            read.epochs().size());
        next = to + 1;
        fellBehind = null;
        return to < applied;
      } catch (ReplayUnavailableException e) {
        purged.add(cluster.nodeId(i) + " keeps epochs from " + e.firstAvailableEpoch());
        lastFailure = cluster.nodeId(i) + " from epoch " + next + ": " + e.getMessage();
      } catch (RuntimeException e) {
        lastFailure = cluster.nodeId(i) + " from epoch " + next + ": " + e;
        LOG.debug("tailing from {} failed: {}", cluster.nodeId(i), e.toString());
      } finally {
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        if (ms > SLOW_ROUND_MS) {
          LOG.info("reading epochs {}..{} from {} took {} ms", from, to, cluster.nodeId(i), ms);
        }
      }
    }
    if (purged.size() == cluster.size()) {
      // Every node has purged what the tailer needs next: it can never catch up.
      if (fellBehind == null) {
        LOG.warn("the tailer fell behind the retained logs: {}", purged);
      }
      fellBehind =
          "the tailer fell behind every node's retained log: it needs epoch "
              + next
              + ", but "
              + String.join(", ", purged);
    }
    return false;
  }

  /** Stops tailing in the background and reads on up to {@code finalEpoch}. */
  NodeLog finish(long finalEpoch, Duration timeout) {
    close();
    LocalCluster.await(
        timeout,
        () -> {
          round(finalEpoch);
          if (fellBehind != null) {
            throw new AssertionError(fellBehind);
          }
          return next > finalEpoch;
        },
        "the tailer to read up to epoch " + finalEpoch,
        () -> " [tailer at epoch " + next + "; last failure: " + lastFailure + "]");
    synchronized (this) {
      NodeLog l = log.build();
      return new NodeLog("tailed log", 0, finalEpoch, l.epochs());
    }
  }

  /** Stops tailing in the background. */
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
