package org.calvinseq.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.server.NodeInternals;
import org.calvinseq.server.SequencerNode;
import org.calvinseq.testkit.LocalCluster;
import org.junit.jupiter.api.Test;

/** A follower that missed a purged stretch of the log catches up by snapshot installation. */
class SnapshotCatchUpIT {
  private static final int VSHARDS = 8;

  @Test
  void stoppedFollowerCatchesUpBySnapshotAfterPurge() throws Exception {
    try (LocalCluster cluster = ClusterChecks.purgingCluster(VSHARDS, 1000, 200)) {
      int leader = cluster.awaitLeader(Duration.ofSeconds(30));
      int follower = (leader + 1) % 3;
      Random rnd = new Random(3);
      propose(cluster, rnd, 0, 100);
      cluster.awaitApplied(99, Duration.ofSeconds(30));
      long stoppedAt = NodeInternals.core(cluster.node(follower)).lastAppliedIndex();
      cluster.stop(follower);

      long last = propose(cluster, rnd, 100, 10_000);
      LocalCluster.await(
          Duration.ofSeconds(60),
          () -> cluster.running().stream().allMatch(n -> n.currentCommittedEpoch() >= last),
          "the two running nodes to apply epoch " + last);
      int now = cluster.awaitLeader(Duration.ofSeconds(30));
      long logStart =
          NodeInternals.raftServer(cluster.node(now))
              .getDivision(cluster.client().group().getGroupId())
              .getRaftLog()
              .getStartIndex();
      assertThat(logStart).as("leader purged past the stopped follower").isGreaterThan(stoppedAt);

      cluster.restart(follower);
      cluster.awaitApplied(last, Duration.ofSeconds(90));
      SequencerNode f = cluster.node(follower);
      // Counted after the restored state is published (a failed install must not count), so it
      // can trail the applied epoch just awaited.
      LocalCluster.await(
          Duration.ofSeconds(30),
          () -> f.meterRegistry().get("sequencer.snapshots.installed").counter().count() >= 1.0,
          cluster.nodeId(follower) + " to count the snapshot it installed");
      assertThat(f.currentCommittedEpoch()).isEqualTo(last);
      assertThat(NodeInternals.core(f).nextEpoch())
          .isEqualTo(NodeInternals.core(cluster.node(now)).nextEpoch());
      assertThat(NodeInternals.core(f).lastEpochSystemMs())
          .isEqualTo(NodeInternals.core(cluster.node(now)).lastEpochSystemMs());

      // New epochs after the catch-up are identical everywhere, replay included.
      long more = propose(cluster, rnd, 10_100, 50);
      cluster.awaitApplied(more, Duration.ofSeconds(30));
      List<List<SequencedTxn>> ref =
          ClusterChecks.streams(cluster.node(now), VSHARDS, last + 1, more);
      assertThat(ClusterChecks.streams(f, VSHARDS, last + 1, more)).isEqualTo(ref);
      assertThat(ref.stream().mapToInt(List::size).sum()).isGreaterThanOrEqualTo(50);
    }
  }

  /** Proposes {@code count} one-txn batches pipelined; returns the highest epoch. */
  static long propose(LocalCluster cluster, Random rnd, int firstNo, int count) throws Exception {
    Semaphore window = new Semaphore(128);
    List<CompletableFuture<BatchReceipt>> fs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      window.acquire();
      CompletableFuture<BatchReceipt> f =
          cluster.client().propose(TestTxns.batch(rnd, 1, 16, firstNo + i, 0));
      f.whenComplete((r, t) -> window.release());
      fs.add(f);
    }
    long max = -1;
    for (CompletableFuture<BatchReceipt> f : fs) {
      max = Math.max(max, f.join().epoch());
    }
    return max;
  }
}
