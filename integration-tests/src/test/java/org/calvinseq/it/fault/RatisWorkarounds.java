package org.calvinseq.it.fault;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.calvinseq.server.testkit.LocalCluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Two bugs of Ratis 3.2.2 that the fault suite runs into, and the operator action that gets a
 * cluster past each. Every use logs a warning naming the bug, so a run that needed one says so;
 * {@code -Dcalvinseq.it.ratisWorkarounds=false} turns them off (the tests then fail instead).
 *
 * <ol>
 *   <li><b>Dead log appender</b>: when a follower comes back whose next entry the leader has
 *       purged, the leader's appender for it can fail ("Log entry not found") and is never
 *       restarted ("is not running: skipping restart"), so that follower gets nothing until the
 *       leader changes. Fixed upstream by RATIS-2487 and RATIS-2499 (after 3.2.2). Action: transfer
 *       leadership.
 *   <li><b>Broken peer proxy</b>: when an election ends while its vote requests are still creating
 *       their gRPC clients, the interrupted creation leaves that peer's proxy in LifeCycle state
 *       EXCEPTION, from which it never starts again ("has failed (STARTING -> EXCEPTION)"); the
 *       node can then never ask that peer for a vote. If the leader dies and the two survivors both
 *       have such a proxy to each other, no leader is ever elected. Not fixed upstream as of this
 *       writing. Action: restart the node (fresh proxies).
 * </ol>
 */
final class RatisWorkarounds {
  private static final Logger LOG = LoggerFactory.getLogger(RatisWorkarounds.class);
  private static final String BROKEN_PROXY = "has failed (STARTING -> EXCEPTION)";

  private RatisWorkarounds() {}

  static boolean enabled() {
    return Boolean.parseBoolean(System.getProperty("calvinseq.it.ratisWorkarounds", "true"));
  }

  /**
   * Waits for {@code condition}, which needs the leader to feed node {@code f}; if 30 s pass
   * without it, transfers leadership to the third node once (bug 1) and waits again.
   */
  static void awaitFeedingFollower(
      LocalCluster cluster, int f, BooleanSupplier condition, String what) throws IOException {
    try {
      LocalCluster.await(Duration.ofSeconds(30), condition, what);
      return;
    } catch (AssertionError stuck) {
      if (!enabled()) {
        throw stuck;
      }
      int leader = cluster.awaitLeader(Duration.ofSeconds(60));
      int other = 3 - f - leader;
      LOG.warn(
          "WORKAROUND (Ratis 3.2.2, RATIS-2487/RATIS-2499): no progress waiting for {}; the log"
              + " appender of leader {} to {} looks dead; transferring leadership to {}",
          what,
          cluster.nodeId(leader),
          cluster.nodeId(f),
          cluster.nodeId(other));
      cluster.transferLeadership(other, Duration.ofSeconds(30));
    }
    LocalCluster.await(Duration.ofSeconds(60), condition, what + " (after a leader change)");
  }

  /**
   * Waits for {@code condition}, which needs a leader to be elected among nodes that run as
   * processes; if 20 s pass without it and a running node's current log shows a broken peer proxy
   * (bug 2), restarts that node and waits again.
   */
  static void awaitElection(LocalCluster cluster, BooleanSupplier condition, String what)
      throws IOException {
    try {
      LocalCluster.await(Duration.ofSeconds(20), condition, what);
      return;
    } catch (AssertionError stuck) {
      List<Integer> broken = new ArrayList<>();
      for (int i = 0; i < cluster.size(); i++) {
        if (cluster.isRunning(i) && currentIncarnation(cluster.logFile(i)).contains(BROKEN_PROXY)) {
          broken.add(i);
        }
      }
      if (!enabled() || broken.isEmpty() || !cluster.processMode()) {
        throw stuck;
      }
      int i = broken.get(0);
      LOG.warn(
          "WORKAROUND (Ratis 3.2.2, broken peer proxy): no election while waiting for {}; {}"
              + " logged '{}'; restarting it",
          what,
          cluster.nodeId(i),
          BROKEN_PROXY);
      cluster.restart(i);
    }
    LocalCluster.await(Duration.ofSeconds(60), condition, what + " (after a restart)");
  }

  /** The output of a node process since it was last started (the harness marks each launch). */
  private static String currentIncarnation(Path log) {
    try {
      String all = Files.readString(log, StandardCharsets.ISO_8859_1);
      int start = all.lastIndexOf("=== ");
      return start < 0 ? all : all.substring(start);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
