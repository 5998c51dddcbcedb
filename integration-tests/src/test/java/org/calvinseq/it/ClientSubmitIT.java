package org.calvinseq.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.ratis.protocol.RaftPeerId;
import org.calvinseq.client.CompletionTimeoutException;
import org.calvinseq.client.SequencerClient;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.core.routing.CollectionHashRouter;
import org.calvinseq.server.SequencerNode;
import org.calvinseq.testkit.LocalCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The client against one healthy three-node cluster: concurrent submits through the batcher, remote
 * replay against local replay, and completion waits.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientSubmitIT {
  private LocalCluster cluster;
  private SequencerClient client;

  @BeforeAll
  void start() throws Exception {
    cluster = ClientItSupport.cluster();
    cluster.awaitLeader(Duration.ofSeconds(30));
    client = SequencerClient.builder().peers(cluster.peers()).build();
  }

  @AfterAll
  void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void
      fourThreadsSubmitting25000EachOneByOneOrInHundredsGetOneTxnIdEachAndEveryNodeHasTheSameSequence()
          throws Exception {
    try (SequencerClient own = SequencerClient.builder().peers(cluster.peers()).build()) {
      submitConcurrently(own);
    }
  }

  private void submitConcurrently(SequencerClient client) throws Exception {
    int threads = 4;
    int perThread = 25_000;
    List<List<CompletableFuture<TxnId>>> futures = new ArrayList<>();
    List<Thread> ts = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      List<CompletableFuture<TxnId>> fs = new ArrayList<>(perThread);
      futures.add(fs);
      int base = t * perThread;
      Random rnd = new Random(100 + t);
      boolean inHundreds = t % 2 == 1; // submitAll: the same promises as single submits
      Thread th =
          new Thread(
              () -> {
                for (int i = 0; i < perThread; i += inHundreds ? 100 : 1) {
                  if (!inHundreds) {
                    fs.add(client.submit(ClientItSupport.txn(rnd, base + i)));
                    continue;
                  }
                  List<Txn> txns = new ArrayList<>(100);
                  for (int j = i; j < i + 100; j++) {
                    txns.add(ClientItSupport.txn(rnd, base + j));
                  }
                  fs.addAll(client.submitAll(txns));
                }
              });
      ts.add(th);
      th.start();
    }
    for (Thread th : ts) {
      th.join();
    }
    Set<TxnId> ids = new HashSet<>();
    long last = -1;
    // What submit promises about order (architecture.md, "Order"): one tenant's txns keep their
    // submission order as long as nothing is retried. A refused submission (an inbox full on a
    // busy machine) is retried and may be passed by later ones, so the order is only checked
    // when no inbox refused anything.
    for (List<CompletableFuture<TxnId>> fs : futures) {
      CompletableFuture.allOf(fs.toArray(CompletableFuture[]::new)).join();
    }
    boolean retried = ClusterChecks.inboxRefusals(cluster.running()) > 0;
    for (List<CompletableFuture<TxnId>> fs : futures) {
      TxnId previous = null;
      for (CompletableFuture<TxnId> f : fs) {
        TxnId id = f.join();
        assertThat(ids.add(id)).as("TxnId %s given twice", id).isTrue();
        if (previous != null && !retried) {
          assertThat(previous).as("one submitter's txns keep their order").isLessThan(id);
        }
        previous = id;
        last = Math.max(last, id.epoch());
      }
    }
    assertThat(ids).hasSize(threads * perThread);
    ClientItSupport.awaitApplied(cluster, last);

    TreeMap<TxnId, Txn> reference = ClientItSupport.identicalSequence(cluster, last);
    Set<ClientTxnId> mine = new HashSet<>();
    for (Txn t : reference.values()) {
      if (t.clientTxnId().clientId() == client.clientId()) {
        assertThat(mine.add(t.clientTxnId())).isTrue();
      }
    }
    assertThat(mine).as("each submitted txn in the log exactly once").hasSize(threads * perThread);
    for (int t = 0; t < threads; t++) {
      for (int i = 0; i < perThread; i += 97) {
        Txn logged = reference.get(futures.get(t).get(i).join());
        assertThat(new String(logged.payload(), StandardCharsets.UTF_8))
            .as("the TxnId of submission %d of thread %d points at it", i, t)
            .isEqualTo("p" + (t * perThread + i));
      }
    }
  }

  @Test
  void replayThroughTheClientEqualsLocalReplayOnEveryNode() {
    Random rnd = new Random(11);
    List<CompletableFuture<BatchReceipt>> fs = new ArrayList<>();
    for (int b = 0; b < 150; b++) {
      List<Txn> txns = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        Txn t = ClientItSupport.txn(rnd, i);
        txns.add(
            new Txn(new ClientTxnId(7, b * 20L + i), 5, t.readSet(), t.writeSet(), t.payload()));
      }
      fs.add(client.propose(EpochBatch.auto(System.currentTimeMillis(), txns)));
    }
    long last = fs.stream().mapToLong(f -> f.join().epoch()).max().orElseThrow();
    long first = fs.get(0).join().epoch();
    ClientItSupport.awaitApplied(cluster, last);
    for (int k = 0; k < 8; k++) {
      int v = rnd.nextInt(ClientItSupport.VSHARDS);
      long from = first + rnd.nextInt((int) (last - first));
      long to = k == 7 ? last + 50 : from + rnd.nextInt((int) (last - from + 1));
      int pageSize = 1 + rnd.nextInt(60);
      for (int n = 0; n < 3; n++) {
        SequencerNode node = cluster.node(n);
        List<SequencedTxn> local = drain(node.replay(v, from, to));
        RaftPeerId peer = RaftPeerId.valueOf(node.nodeId());
        assertThat(drain(client.replay(peer, v, from, to, pageSize)))
            .as("vshard %d [%d, %d] page %d from %s", v, from, to, pageSize, peer)
            .isEqualTo(local);
        assertThat(local).isNotEmpty();
      }
      assertThat(drain(client.replay(v, from, to)))
          .isEqualTo(drain(cluster.node(0).replay(v, from, to)));
      var it = client.replay(v, from, to);
      assertThatThrownBy(it::completeThroughEpoch)
          .as("not known before the end")
          .isInstanceOf(IllegalStateException.class);
      drain(it);
      // Nothing else proposes here, so every node has applied exactly through last.
      assertThat(cluster.node(0).status().lastAppliedEpoch()).isEqualTo(last);
      assertThat(it.completeThroughEpoch())
          .as("[%d, %d] with the cluster applied through %d", from, to, last)
          .isEqualTo(Math.min(to, last));
    }
    var beyond = client.replay(0, last + 1, last + 10);
    assertThat(beyond.hasNext()).isFalse();
    assertThat(beyond.completeThroughEpoch()).as("nothing of the range applied").isEqualTo(last);
  }

  @Test
  void completionWaitsForEveryParticipantAndNamesTheMissingOnes() throws Exception {
    CollectionHashRouter router = new CollectionHashRouter(ClientItSupport.VSHARDS);
    String a = "acct";
    String b = "acct-2";
    for (int i = 3; router.vshardOfCollection(a) == router.vshardOfCollection(b); i++) {
      b = "acct-" + i;
    }
    SequencerNode engine = cluster.node(1);
    Random rnd = new Random(3);
    List<Txn> txns = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      txns.add(ClientItSupport.txn(rnd, i));
    }
    Txn split = new Txn(null, 1, List.of(Key.of(a, "x")), List.of(Key.of(b, "y")), new byte[0]);
    txns.add(split);
    List<TxnId> ids = new ArrayList<>();
    for (Txn t : txns) {
      ids.add(client.submit(t).join());
    }
    for (int i = 0; i < 10; i++) {
      int[] parts = client.participants(txns.get(i));
      for (int v : parts) {
        engine.ack(ids.get(i), v, parts.length);
      }
    }
    for (int i = 0; i < 10; i++) {
      TxnId id = ids.get(i);
      assertThat(
              i % 2 == 0
                  ? client.awaitCompletion(
                      id, client.participants(txns.get(i)), Duration.ofSeconds(20))
                  : client.awaitCompletion(id, txns.get(i), Duration.ofSeconds(20)))
          .succeedsWithin(Duration.ofSeconds(30))
          .isEqualTo(id);
    }

    TxnId splitId = ids.get(10);
    int[] parts = client.participants(split);
    assertThat(parts).hasSize(2);
    engine.ack(splitId, parts[0], 2).join();
    long start = System.nanoTime();
    assertThatThrownBy(() -> client.awaitCompletion(splitId, parts, Duration.ofSeconds(1)).join())
        .isInstanceOf(CompletionException.class)
        .cause()
        .isInstanceOf(CompletionTimeoutException.class)
        .hasMessageContaining("vshards [" + parts[1] + "] have not acked")
        .hasMessageContaining("acked: [" + parts[0] + "]");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));

    engine.ack(splitId, parts[1], 2);
    assertThat(client.awaitCompletion(splitId, parts, Duration.ofSeconds(20)))
        .succeedsWithin(Duration.ofSeconds(30));
  }

  private static List<SequencedTxn> drain(Iterator<SequencedTxn> it) {
    List<SequencedTxn> out = new ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }
}
