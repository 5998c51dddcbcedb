package org.calvinseq.it.fault;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.calvinseq.core.protocol.NodeStatus;
import org.calvinseq.testkit.FaultProxy;
import org.calvinseq.testkit.LocalCluster;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A follower that missed a stretch the leader has purged must install a snapshot; it is SIGKILLed
 * while the snapshot is on its way (the proxy in front of it slows the transfer down to make room
 * for the kill), then restarted. It installs the snapshot, and its engine, whose missing range no
 * node can replay any more, takes a peer replica's checkpoint and ends identical.
 */
class SnapshotInstallKillIT {
  private static final Logger LOG = LoggerFactory.getLogger(SnapshotInstallKillIT.class);
  private static final Pattern SNAPSHOT = Pattern.compile("snapshot\\.(\\d+)_(\\d+)$");

  @Test
  void followerKilledDuringSnapshotInstallationRecovers() throws Exception {
    try (FaultRun run =
        FaultRun.processes("snapshot-install-kill")
            .proxied(true)
            .checkpointEvery(100)
            .args(
                "--snapshot-every", "1000",
                "--replay-retention", "2000",
                "--log-segment-bytes", "65536",
                "--max-batch-bytes", "65536",
                "--checkpoint-every", "100")
            .start()) {
      LocalCluster cluster = run.cluster();
      run.awaitAcknowledged(200, Duration.ofSeconds(90));
      int leader = cluster.awaitLeader(Duration.ofSeconds(60));
      int f = (leader + 1) % 3;
      long missedFrom = cluster.status(f).lastAppliedEpoch() + 1;
      long indexAtKill = cluster.status(f).lastAppliedIndex();
      cluster.kill(f);

      // Load on until the other nodes have purged what the follower lacks.
      LocalCluster.await(
          Duration.ofSeconds(120),
          () -> {
            for (int i = 0; i < 3; i++) {
              NodeStatus s = i == f ? null : cluster.status(i);
              if (i != f && (s == null || s.firstReplayableEpoch() <= missedFrom + 1)) {
                return false;
              }
            }
            return true;
          },
          "the running nodes to purge their logs past epoch " + missedFrom);

      // Whatever snapshot the leader sends is at least as new as the oldest one it keeps, and the
      // follower has nothing that new: so an applied index below it means "not installed".
      long leaderSnapshot = oldestSnapshotIndex(cluster.dataDir(leaderNow(cluster, f)));
      assertThat(leaderSnapshot).isGreaterThan(indexAtKill);
      long snapshotSize = snapshotBytes(cluster.dataDir(leaderNow(cluster, f)));
      assertThat(snapshotSize)
          .as("the snapshot is large enough to catch in flight")
          .isGreaterThan(16384);

      // Restart it behind a slow link (a snapshot of this size takes seconds to arrive) and kill
      // it as soon as the leader reports that it started sending the snapshot.
      FaultProxy proxy = cluster.proxy(f);
      proxy.throttle(4096);
      LogWatch installed =
          LogWatch.fromEnd(
              cluster.logFile(f), Pattern.compile("successfully install the entire snapshot"));
      List<LogWatch> sending = snapshotSends(cluster, f);
      cluster.restart(f);
      LocalCluster.await(
          Duration.ofSeconds(60),
          () -> sending.stream().anyMatch(w -> w.matches() > 0),
          "the leader to start sending the snapshot to " + cluster.nodeId(f),
          cluster::describe);
      NodeStatus before = cluster.status(f);
      List<FaultProxy.LinkStats> links = proxy.links();
      cluster.kill(f);
      LOG.info("killed {} with the snapshot in flight: {}", cluster.nodeId(f), links);
      assertThat(installed.matches())
          .as("the follower had not finished installing the snapshot")
          .isZero();
      assertThat(before.lastAppliedIndex())
          .as("the follower had not applied the snapshot when it was killed")
          .isLessThan(leaderSnapshot);
      assertThat(newestSnapshotIndex(cluster.dataDir(f)))
          .as("no snapshot from the leader on the follower's disk at the kill")
          .isLessThan(leaderSnapshot);

      proxy.throttle(0);
      cluster.restart(f);
      LocalCluster.await(
          Duration.ofSeconds(90),
          () -> {
            NodeStatus s = cluster.status(f);
            return s != null && s.lastAppliedIndex() >= leaderSnapshot;
          },
          cluster.nodeId(f) + " to install the snapshot",
          cluster::describe);
      run.awaitAcknowledged(200, Duration.ofSeconds(60));
      run.finish();
      String metrics = cluster.scrape(f);
      assertThat(FaultRun.metric(metrics, "sequencer_snapshots_installed_total"))
          .as("snapshots installed on the follower")
          .isGreaterThanOrEqualTo(1);
      assertThat(FaultRun.metric(metrics, "kv_engine_rebuilds_total"))
          .as("its engine rebuilt what replay could not give it")
          .isGreaterThanOrEqualTo(1);
      assertThat(newestSnapshotIndex(cluster.dataDir(f))).isGreaterThan(indexAtKill);
    }
  }

  /**
   * Watches of the other nodes' logs for the line in which a leader starts sending node {@code f} a
   * snapshot (the node's log appender, a Ratis GrpcLogAppender, logs it at INFO, which the engine
   * processes keep).
   */
  private static List<LogWatch> snapshotSends(LocalCluster cluster, int f) {
    Pattern sending =
        Pattern.compile(
            "->"
                + Pattern.quote(cluster.nodeId(f))
                + "-\\w*LogAppender: (followerNextIndex = \\d+ but logStartIndex = \\d+, send"
                + " snapshot|the entry before .* is purged; sending snapshot)");
    List<LogWatch> out = new java.util.ArrayList<>();
    for (int i = 0; i < cluster.size(); i++) {
      if (i != f) {
        out.add(LogWatch.fromEnd(cluster.logFile(i), sending));
      }
    }
    return out;
  }

  private static int leaderNow(LocalCluster cluster, int excluded) {
    int l = cluster.awaitLeader(Duration.ofSeconds(60));
    assertThat(l).isNotEqualTo(excluded);
    return l;
  }

  /** The highest log index of a snapshot file under {@code dir}, or -1. */
  private static long newestSnapshotIndex(Path dir) throws IOException {
    return LongStream.of(snapshotIndexes(dir)).max().orElse(-1);
  }

  /** The lowest log index of a snapshot file under {@code dir}, or -1. */
  private static long oldestSnapshotIndex(Path dir) throws IOException {
    return LongStream.of(snapshotIndexes(dir)).min().orElse(-1);
  }

  /** The size of the newest snapshot file under {@code dir}. */
  private static long snapshotBytes(Path dir) throws IOException {
    for (int attempt = 0; ; attempt++) {
      long newest = newestSnapshotIndex(dir);
      try (Stream<Path> s = Files.walk(dir)) {
        for (Path p : s.toList()) {
          Matcher m = SNAPSHOT.matcher(p.getFileName().toString());
          if (m.find() && Long.parseLong(m.group(2)) == newest) {
            return Files.size(p);
          }
        }
        return 0;
      } catch (UncheckedIOException | java.nio.file.NoSuchFileException e) {
        if (attempt == 5) {
          throw e; // a node deletes old snapshots as it walks; try again
        }
      }
    }
  }

  private static long[] snapshotIndexes(Path dir) throws IOException {
    for (int attempt = 0; ; attempt++) {
      try (Stream<Path> s = Files.walk(dir)) {
        return s.map(p -> SNAPSHOT.matcher(p.getFileName().toString()))
            .filter(Matcher::find)
            .mapToLong(m -> Long.parseLong(m.group(2)))
            .toArray();
      } catch (UncheckedIOException e) {
        if (attempt == 5) {
          throw e.getCause(); // a node deletes old snapshots as it walks; try again
        }
      }
    }
  }
}
