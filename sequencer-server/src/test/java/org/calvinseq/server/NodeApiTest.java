package org.calvinseq.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.calvinseq.client.SequencerClient;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.queue.VShardConsumer;
import org.calvinseq.core.routing.VShardRouter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedding API an engine needs, on a real one-member cluster. */
class NodeApiTest {
  @TempDir Path dir;

  @Test
  void hostedVShardsAreTheBuildersOrElseAll() {
    BitSet some = new BitSet();
    some.set(1);
    some.set(3);
    SequencerNode hosting = node("n1", 7001).vshardCount(8).hosted(some).build();
    SequencerNode all = node("n2", 7002).vshardCount(8).build();

    assertThat(hosting.hostedVShards()).isEqualTo(some);
    hosting.hostedVShards().clear(1); // a copy
    assertThat(hosting.hostedVShards().stream()).containsExactly(1, 3);
    assertThat(all.hostedVShards().stream()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
  }

  @Test
  void aTxnCompletesOnceEachParticipantAckedWithoutTheEngineCountingThem() throws Exception {
    int raftPort;
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      raftPort = s.getLocalPort();
    }
    try (SequencerNode node = node("n1", raftPort).vshardCount(8).build()) {
      assertThat(node.isLeaderReady()).isFalse(); // not started
      node.start();
      await(node::isLeaderReady, "n1 to lead");

      VShardRouter router = node.router();
      Key a = keyIn(router, 2);
      Key b = keyIn(router, 5);
      Txn txn = new Txn(null, 1, List.of(a), List.of(b), new byte[0]);
      VShardConsumer two = node.subscribe(2, -1);
      VShardConsumer five = node.subscribe(5, -1);
      try (SequencerClient client =
          SequencerClient.builder().peers(node.config().peers()).build()) {
        client.propose(EpochBatch.auto(0, List.of(txn))).get(30, TimeUnit.SECONDS);
      }
      SequencedTxn atTwo = poll(two);
      SequencedTxn atFive = poll(five);
      assertThat(atTwo.id()).isEqualTo(atFive.id());

      CompletableFuture<TxnId> done = node.awaitCompletion(atTwo.id(), Duration.ofSeconds(30));
      node.ack(atTwo, 2).get(30, TimeUnit.SECONDS);
      Thread.sleep(200);
      assertThat(done).as("one of two participants acked").isNotDone();
      node.ack(atFive, 5).get(30, TimeUnit.SECONDS);
      assertThat(done.get(30, TimeUnit.SECONDS)).isEqualTo(atTwo.id());
    }
  }

  private SequencerNodeBuilder node(String id, int raftPort) {
    return SequencerNode.builder()
        .nodeId(id)
        .peers(id + "@127.0.0.1:" + raftPort)
        .dataDir(dir.resolve(id));
  }

  /** A key the router places on {@code vshard} (it routes by collection). */
  private static Key keyIn(VShardRouter router, int vshard) {
    for (int i = 0; i < 10_000; i++) {
      Key k = Key.of("c" + i, "k");
      if (router.vshardOf(k) == vshard) {
        return k;
      }
    }
    throw new AssertionError("no collection routes to vshard " + vshard);
  }

  private static SequencedTxn poll(VShardConsumer c) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      SequencedTxn t = c.poll();
      if (t != null) {
        return t;
      }
      Thread.sleep(10);
    }
    throw new AssertionError("nothing delivered in 30 s");
  }

  private static void await(java.util.function.BooleanSupplier condition, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waiting for %s", what).isLessThan(deadline);
      Thread.sleep(20);
    }
  }
}
