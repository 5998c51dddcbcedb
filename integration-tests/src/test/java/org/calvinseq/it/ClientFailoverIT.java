package org.calvinseq.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.calvinseq.client.SequencerClient;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.testkit.LocalCluster;
import org.junit.jupiter.api.Test;

/**
 * The leader is killed while four threads submit: Ratis retries each in-flight proposal on the new
 * leader with the same call id, so no submitted txn is lost and none is sequenced twice.
 */
class ClientFailoverIT {
  private static final int THREADS = 4;
  private static final int PER_THREAD = 4_000;

  @Test
  void leaderKilledMidRunLosesNoTxnAndSequencesNoneTwice() throws Exception {
    try (LocalCluster cluster = ClientItSupport.cluster();
        SequencerClient client =
            SequencerClient.builder()
                .peers(cluster.peers())
                .callTimeout(Duration.ofSeconds(40))
                .build()) {
      int leader = cluster.awaitLeader(Duration.ofSeconds(30));
      AtomicInteger submitted = new AtomicInteger();
      List<List<CompletableFuture<TxnId>>> futures = new ArrayList<>();
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        List<CompletableFuture<TxnId>> fs = new CopyOnWriteArrayList<>();
        futures.add(fs);
        int base = t * PER_THREAD;
        Random rnd = new Random(t);
        Thread th =
            new Thread(
                () -> {
                  long next = System.nanoTime();
                  for (int i = 0; i < PER_THREAD; i++) {
                    next += TimeUnit.MICROSECONDS.toNanos(800); // ~5,000 txns/s in all
                    LockSupport.parkNanos(next - System.nanoTime());
                    fs.add(client.submit(ClientItSupport.txn(rnd, base + i)));
                    submitted.incrementAndGet();
                  }
                });
        threads.add(th);
        th.start();
      }
      LocalCluster.await(
          Duration.ofSeconds(30), () -> submitted.get() >= THREADS * PER_THREAD / 3, "a third");
      cluster.kill(leader);
      for (Thread th : threads) {
        th.join();
      }

      Map<TxnId, Integer> placed = new HashMap<>();
      List<String> failures = new ArrayList<>();
      long last = -1;
      for (int t = 0; t < THREADS; t++) {
        for (int i = 0; i < PER_THREAD; i++) {
          CompletableFuture<TxnId> f = futures.get(t).get(i);
          try {
            TxnId id = f.get(60, TimeUnit.SECONDS);
            assertThat(placed.put(id, t * PER_THREAD + i)).as("TxnId %s given twice", id).isNull();
            last = Math.max(last, id.epoch());
          } catch (java.util.concurrent.ExecutionException e) {
            failures.add(e.getCause().toString());
          }
        }
      }
      assertThat(failures).as("submits that failed across the failover").isEmpty();
      String killed = cluster.peers().get(leader).getId().toString();
      assertThat(
              client
                  .meterRegistry()
                  .get("sequencer.client.connection.attempts")
                  .tag("peer", killed)
                  .tag("result", "failure")
                  .counter()
                  .count())
          .as("the client saw its proposals to the killed leader fail, and retried them")
          .isPositive();
      int newLeader = cluster.awaitLeader(Duration.ofSeconds(30));
      assertThat(newLeader).isNotEqualTo(leader);
      cluster.restart(leader);
      ClientItSupport.awaitApplied(cluster, last);

      TreeMap<TxnId, Txn> reference = ClientItSupport.identicalSequence(cluster, last);
      long mine =
          reference.values().stream()
              .filter(t -> t.clientTxnId().clientId() == client.clientId())
              .count();
      assertThat(mine).as("each submitted txn in the log once").isEqualTo(THREADS * PER_THREAD);
      for (Map.Entry<TxnId, Integer> e : placed.entrySet()) {
        Txn logged = reference.get(e.getKey());
        assertThat(logged).as("txn %d at %s", e.getValue(), e.getKey()).isNotNull();
        assertThat(new String(logged.payload(), StandardCharsets.UTF_8))
            .isEqualTo("p" + e.getValue());
      }
    }
  }
}
