package org.calvinseq.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.ratis.protocol.RaftPeerId;
import org.calvinseq.client.PeerHealth;
import org.calvinseq.client.PeerStatus;
import org.calvinseq.client.SequencerClient;
import org.calvinseq.client.SequencerUnavailableException;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.testkit.LocalCluster;
import org.junit.jupiter.api.Test;

/**
 * Nodes go down under the client: with one down it keeps working (proposals, replay failover,
 * status); with two down every call fails as unavailable within its timeout instead of hanging;
 * once the nodes are back the same client works again.
 */
class ClientAvailabilityIT {
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(4);

  @Test
  void oneDownKeepsWorkingTwoDownFailsFastAndTheClientRecovers() throws Exception {
    try (LocalCluster cluster = ClientItSupport.cluster();
        SequencerClient client =
            SequencerClient.builder()
                .peers(cluster.peers())
                .requestTimeout(Duration.ofSeconds(1))
                .callTimeout(CALL_TIMEOUT)
                .build()) {
      cluster.awaitLeader(Duration.ofSeconds(30));
      Random rnd = new Random(1);
      submit(client, rnd, 500);

      // One node down, a follower that a replay prefers: everything still works.
      int leader = cluster.awaitLeader(Duration.ofSeconds(30));
      int follower = (leader + 1) % 3;
      RaftPeerId followerId = cluster.peers().get(follower).getId();
      cluster.kill(follower);
      TxnId last = submit(client, rnd, 500);
      BatchReceipt r = client.propose(TestTxns.batch(rnd, 5, 16, 99, 0)).join();
      assertThat(r.sequenced()).isTrue();
      cluster.awaitApplied(r.epoch(), Duration.ofSeconds(30));
      for (int v = 0; v < ClientItSupport.VSHARDS; v++) {
        List<SequencedTxn> remote = new ArrayList<>();
        client.replay(followerId, v, 0, r.epoch(), 37).forEachRemaining(remote::add);
        List<SequencedTxn> local = new ArrayList<>();
        cluster.node(leader).replay(v, 0, r.epoch()).forEachRemaining(local::add);
        assertThat(remote).as("vshard %d, failed over from %s", v, followerId).isEqualTo(local);
      }
      List<PeerStatus> status = client.status();
      assertThat(status).hasSize(3);
      assertThat(status.get(follower).reachable()).isFalse();
      assertThat(status.get(follower).error()).isNotBlank();
      assertThat(status.get(follower).health()).isNotEqualTo(PeerHealth.State.HEALTHY);
      assertThat(status.stream().filter(PeerStatus::reachable)).hasSize(2);
      assertThat(status.get(leader).status().lastAppliedEpoch())
          .isGreaterThanOrEqualTo(last.epoch());

      // Two down: no quorum. Calls fail as unavailable within the timeout.
      cluster.kill(leader);
      long start = System.nanoTime();
      CompletableFuture<BatchReceipt> p = client.propose(TestTxns.batch(rnd, 5, 16, 98, 0));
      CompletableFuture<TxnId> s = client.submit(ClientItSupport.txn(rnd, -1));
      assertThatThrownBy(p::join)
          .isInstanceOf(CompletionException.class)
          .cause()
          .isInstanceOf(SequencerUnavailableException.class)
          .hasMessageContaining("unavailable");
      assertThatThrownBy(s::join).cause().isInstanceOf(SequencerUnavailableException.class);
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      assertThat(took).as("failed within the call timeout").isLessThan(CALL_TIMEOUT.plusSeconds(3));
      assertThat(client.status().stream().filter(PeerStatus::reachable)).hasSize(1);

      // Back to three: the same client proposes again.
      cluster.restart(follower);
      cluster.restart(leader);
      cluster.awaitLeader(Duration.ofSeconds(30));
      BatchReceipt again = null;
      for (int attempt = 0; again == null; attempt++) {
        try {
          again = client.propose(TestTxns.batch(rnd, 5, 16, 97, 0)).join();
        } catch (CompletionException e) {
          assertThat(attempt).as("proposals keep failing after recovery: %s", e).isLessThan(5);
        }
      }
      assertThat(again.sequenced()).isTrue();
      assertThat(again.epoch()).isGreaterThan(r.epoch());
      assertThat(submit(client, rnd, 100).epoch()).isGreaterThan(r.epoch());
    }
  }

  private static TxnId submit(SequencerClient client, Random rnd, int n) {
    List<CompletableFuture<TxnId>> fs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      fs.add(client.submit(ClientItSupport.txn(rnd, i)));
    }
    TxnId last = null;
    for (CompletableFuture<TxnId> f : fs) {
      last = f.join();
    }
    return last;
  }
}
