package org.calvinseq.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.core.queue.VShardConsumer;
import org.calvinseq.testkit.LocalCluster;
import org.junit.jupiter.api.Test;

/** Three real Ratis nodes on loopback: every node applies the same epochs and streams. */
class ThreeNodeSequencingIT {
  private static final int VSHARDS = 8;

  @Test
  void thousandBatchesGiveIdenticalEpochsAndStreamsOnEveryNode() throws Exception {
    try (LocalCluster cluster =
        LocalCluster.builder().nodes(3).configure(b -> b.vshardCount(VSHARDS)).build().start()) {
      cluster.awaitLeader(Duration.ofSeconds(30));
      List<Map<Integer, VShardConsumer>> consumers = new ArrayList<>();
      for (int n = 0; n < 3; n++) {
        Map<Integer, VShardConsumer> m = new HashMap<>();
        for (int v = 0; v < VSHARDS; v++) {
          m.put(v, cluster.node(n).subscribe(v, -1));
        }
        consumers.add(m);
      }

      Random rnd = new Random(42);
      List<CompletableFuture<BatchReceipt>> futures = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        futures.add(cluster.client().propose(TestTxns.batch(rnd, 5, 20, 1, i * 5L)));
      }
      List<Long> epochs = new ArrayList<>();
      for (CompletableFuture<BatchReceipt> f : futures) {
        BatchReceipt r = f.join();
        assertThat(r.sequenced()).isTrue();
        epochs.add(r.epoch());
      }
      assertThat(epochs).doesNotHaveDuplicates();
      assertThat(epochs.stream().mapToLong(Long::longValue).max().orElseThrow()).isEqualTo(999);
      cluster.awaitApplied(999, Duration.ofSeconds(60));

      for (int v = 0; v < VSHARDS; v++) {
        List<SequencedTxn> reference = null;
        for (int n = 0; n < 3; n++) {
          List<SequencedTxn> got = drainAll(consumers.get(n).get(v));
          assertThat(got).isSortedAccordingTo(SequencedTxn::compareTo);
          if (reference == null) {
            reference = got;
          } else {
            assertThat(got).as("vshard %d on node %d", v, n).isEqualTo(reference);
          }
          List<SequencedTxn> replayed = new ArrayList<>();
          Iterator<SequencedTxn> it = cluster.node(n).replay(v, 0, 999);
          it.forEachRemaining(replayed::add);
          assertThat(replayed).as("replay of vshard %d on node %d", v, n).isEqualTo(reference);
        }
      }
      int total = 0;
      for (int v = 0; v < VSHARDS; v++) {
        total += drainAll(cluster.node(0).subscribe(v, -1)).size();
      }
      assertThat(total).isGreaterThanOrEqualTo(5000); // each txn reaches 1 or 2 vshards
    }
  }

  private static List<SequencedTxn> drainAll(VShardConsumer c) {
    List<SequencedTxn> out = new ArrayList<>();
    LocalCluster.await(
        Duration.ofSeconds(30),
        () -> {
          out.addAll(TestTxns.drain(c));
          return !c.isBehind();
        },
        "consumer of vshard " + c.vshard() + " to catch up");
    out.addAll(TestTxns.drain(c));
    return out;
  }
}
