package org.calvinseq.it.fault;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.calvinseq.core.codec.ProposalLimits;
import org.calvinseq.core.protocol.NodeStatus;
import org.calvinseq.server.NodeInternals;
import org.calvinseq.server.SequencerNode;
import org.calvinseq.testkit.LocalCluster;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue 13: a follower falls so far behind under load that it must install a snapshot, and then
 * becomes the leader, so the node whose state came from a snapshot, not from applying the log, is
 * the one whose inbox forms the epochs while the load goes on. Its de-duplication state (which
 * client txn ids were sequenced) came with the snapshot; if it had not, the load's retries of txns
 * sequenced before would be sequenced again and the history checker would report them.
 */
class SnapshotThenLeaderIT {
  private static final Logger LOG = LoggerFactory.getLogger(SnapshotThenLeaderIT.class);

  @Test
  void followerThatInstalledASnapshotLeadsUnderLoad() throws Exception {
    try (FaultRun run =
        FaultRun.inProcess("snapshot-then-leader")
            .checkpointEvery(100)
            .node(
                b ->
                    b.snapshotEvery(200)
                        .replayRetention(200)
                        .logSegmentBytes(32 * 1024)
                        // A segment holds at least two of the largest entries: small entries let
                        // small segments close, and only closed segments are purged.
                        .limits(new ProposalLimits(64 * 1024, 1000, 64, 4096)))
            .start()) {
      LocalCluster cluster = run.cluster();
      run.awaitAcknowledged(200, Duration.ofSeconds(60));
      int leader = cluster.awaitLeader(Duration.ofSeconds(30));
      int f = (leader + 1) % 3;
      long stoppedAt = cluster.status(f).lastAppliedIndex();
      cluster.stop(f);

      // Load on until both running nodes have purged their logs past what the follower holds:
      // whichever leads then can only bring it up to date with a snapshot.
      LocalCluster.await(
          Duration.ofSeconds(120),
          () -> {
            for (int i = 0; i < cluster.size(); i++) {
              if (i != f && logStart(cluster, i) <= stoppedAt + 1) {
                return false;
              }
            }
            return true;
          },
          "the running nodes to purge their logs past index " + stoppedAt,
          cluster::describe);

      cluster.restart(f);
      LocalCluster.await(
          Duration.ofSeconds(90),
          () -> snapshotsInstalled(cluster.node(f)) >= 1,
          cluster.nodeId(f) + " to install a snapshot",
          cluster::describe);
      NodeStatus caughtUp = cluster.status(f);
      assertThat(caughtUp.lastAppliedIndex())
          .as("%s applied past the purged log", cluster.nodeId(f))
          .isGreaterThan(stoppedAt);
      run.awaitAcknowledged(100, Duration.ofSeconds(60));

      // Hand it the leadership while the load goes on.
      double sequencedBefore = inboxEpochsSequenced(cluster.node(f));
      cluster.transferLeadership(f, Duration.ofSeconds(60));
      LOG.info(
          "{} installed a snapshot (applied index {} after stopping at {}) and leads: {}",
          cluster.nodeId(f),
          caughtUp.lastAppliedIndex(),
          stoppedAt,
          cluster.describe());
      run.awaitAcknowledged(300, Duration.ofSeconds(60));
      assertThat(inboxEpochsSequenced(cluster.node(f)))
          .as("epochs %s's inbox formed and saw sequenced while it led", cluster.nodeId(f))
          .isGreaterThan(sequencedBefore);

      run.finish();
      assertThat(snapshotsInstalled(cluster.node(f))).isGreaterThanOrEqualTo(1);
    }
  }

  /** The first index node {@code i}'s Raft log still holds. */
  private static long logStart(LocalCluster cluster, int i) {
    SequencerNode n = cluster.node(i);
    if (n == null) {
      return -1;
    }
    try {
      return NodeInternals.raftServer(n)
          .getDivision(cluster.client().group().getGroupId())
          .getRaftLog()
          .getStartIndex();
    } catch (java.io.IOException e) {
      return -1;
    }
  }

  private static double snapshotsInstalled(SequencerNode n) {
    return n.meterRegistry().get("sequencer.snapshots.installed").counter().count();
  }

  private static double inboxEpochsSequenced(SequencerNode n) {
    return n.meterRegistry()
        .get("sequencer.inbox.epochs.done")
        .tag("outcome", "sequenced")
        .counter()
        .count();
  }
}
