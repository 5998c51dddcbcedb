package org.calvinseq.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.testkit.LocalCluster;
import org.junit.jupiter.api.Test;

/** The leader dies while batches are in flight: no epoch is reused, skipped or lost. */
class LeaderFailoverIT {
  private static final int VSHARDS = 8;
  private static final int BATCHES = 600;
  private static final int TXNS = 3;

  @Test
  void leaderKilledMidStreamLosesAndDuplicatesNothing() throws Exception {
    try (LocalCluster cluster =
        LocalCluster.builder().nodes(3).configure(b -> b.vshardCount(VSHARDS)).build().start()) {
      int firstLeader = cluster.awaitLeader(Duration.ofSeconds(30));
      Random rnd = new Random(7);
      Map<Integer, BatchReceipt> succeeded = new ConcurrentHashMap<>();
      List<CompletableFuture<BatchReceipt>> all = new ArrayList<>();
      Semaphore window = new Semaphore(32);
      for (int i = 0; i < BATCHES; i++) {
        if (i == BATCHES / 3) {
          cluster.kill(firstLeader);
        }
        window.acquire();
        int batchNo = i;
        CompletableFuture<BatchReceipt> f =
            cluster.client().propose(TestTxns.batch(rnd, TXNS, 16, batchNo, 0));
        f.whenComplete(
            (r, t) -> {
              window.release();
              if (t == null) {
                succeeded.put(batchNo, r);
              }
            });
        all.add(f);
      }
      for (CompletableFuture<BatchReceipt> f : all) {
        f.handle((r, t) -> null).join();
      }
      // The cluster keeps accepting proposals with the old leader gone.
      BatchReceipt after = cluster.client().propose(TestTxns.batch(rnd, 1, 16, 999_999, 0)).join();
      assertThat(after.sequenced()).isTrue();
      assertThat(succeeded.size()).isGreaterThan(BATCHES / 2);

      cluster.restart(firstLeader);
      long last = after.epoch();
      cluster.awaitApplied(last, Duration.ofSeconds(60));

      List<Long> epochs = succeeded.values().stream().map(BatchReceipt::epoch).toList();
      assertThat(epochs).as("no epoch assigned twice").doesNotHaveDuplicates();

      List<List<SequencedTxn>> reference = null;
      for (int n = 0; n < 3; n++) {
        ClusterChecks.assertContiguousEpochs(cluster.node(n), last);
        List<List<SequencedTxn>> s = ClusterChecks.streams(cluster.node(n), VSHARDS, 0, last);
        if (reference == null) {
          reference = s;
        } else {
          assertThat(s).as("streams of node %d", n).isEqualTo(reference);
        }
      }
      Map<ClientTxnId, TxnId> placed = ClusterChecks.placements(reference);
      for (Map.Entry<Integer, BatchReceipt> e : succeeded.entrySet()) {
        for (int p = 0; p < TXNS; p++) {
          ClientTxnId id = new ClientTxnId(e.getKey(), p);
          assertThat(placed.get(id))
              .as("successful batch %d txn %d", e.getKey(), p)
              .isEqualTo(new TxnId(e.getValue().epoch(), p));
        }
      }
    }
  }
}
