package org.calvinseq.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.calvinseq.client.CompletionStateEvictedException;
import org.calvinseq.client.CompletionTimeoutException;
import org.calvinseq.client.SequencerClient;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.testkit.LocalCluster;
import org.junit.jupiter.api.Test;

/**
 * A cluster keeping the completion state of at most two txns: waiting for an evicted one fails at
 * once, saying so, while a txn that was never acked still times out (it is not "evicted").
 */
class CompletionEvictionIT {
  @Test
  void awaitingAnEvictedTxnFailsAtOnceAndANeverAckedOneTimesOut() throws Exception {
    try (LocalCluster cluster =
            LocalCluster.builder()
                .nodes(3)
                .configure(b -> b.vshardCount(ClientItSupport.VSHARDS).completionMaxEntries(2))
                .build()
                .start();
        SequencerClient client = SequencerClient.builder().peers(cluster.peers()).build()) {
      cluster.awaitLeader(Duration.ofSeconds(30));
      List<TxnId> ids = new ArrayList<>();
      List<int[]> parts = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        Txn t = new Txn(null, 1, List.of(Key.of("acct", "k" + i)), List.of(), new byte[0]);
        ids.add(client.submit(t).join());
        parts.add(client.participants(t));
      }
      long lastIndex = -1;
      for (int i = 0; i < 4; i++) { // the fifth is never acked
        for (int v : parts.get(i)) {
          BatchReceipt r = cluster.node(1).ack(ids.get(i), v, parts.get(i).length).join();
          lastIndex = Math.max(lastIndex, r.index());
        }
      }
      awaitAppliedIndex(cluster, lastIndex);

      for (int n = 0; n < cluster.size(); n++) {
        var status = cluster.node(n).statusDocument();
        assertThat(status)
            .as("node %d: the settings, alike everywhere, and the replicated watermark", n)
            .containsEntry("completionMaxEntries", 2)
            .containsEntry("completionRetentionMs", 600_000L)
            .containsEntry("completionsEvictedThroughEpoch", ids.get(1).epoch());
      }

      assertThat(client.awaitCompletion(ids.get(3), parts.get(3), Duration.ofSeconds(20)))
          .succeedsWithin(Duration.ofSeconds(30))
          .isEqualTo(ids.get(3));

      long start = System.nanoTime();
      assertThatThrownBy(
              () -> client.awaitCompletion(ids.get(0), parts.get(0), Duration.ofSeconds(20)).join())
          .isInstanceOf(CompletionException.class)
          .cause()
          .isInstanceOfSatisfying(
              CompletionStateEvictedException.class,
              e -> {
                assertThat(e.txnId()).isEqualTo(ids.get(0));
                assertThat(e.evictedThroughEpoch()).isEqualTo(ids.get(1).epoch());
              })
          .hasMessageContaining("no longer kept");
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .as("not the 20 s timeout")
          .isLessThan(Duration.ofSeconds(10));

      assertThatThrownBy(
              () -> client.awaitCompletion(ids.get(4), parts.get(4), Duration.ofSeconds(1)).join())
          .as("above the watermark and never acked: not evicted")
          .cause()
          .isInstanceOf(CompletionTimeoutException.class);
    }
  }

  private static void awaitAppliedIndex(LocalCluster cluster, long index) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    for (int n = 0; n < cluster.size(); n++) {
      while (cluster.node(n).status().lastAppliedIndex() < index) {
        assertThat(System.nanoTime()).as("node %d applies index %d", n, index).isLessThan(deadline);
        Thread.sleep(20);
      }
    }
  }
}
