package org.calvinseq.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.calvinseq.client.SequencerClient;
import org.calvinseq.core.codec.EntryEncoder;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.protocol.Protocol;
import org.calvinseq.testkit.LocalCluster;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue 13: many small submitters against a real three-node cluster share epochs. Each of 16
 * separate clients submits bursts of 10 txns and waits for them, so each batch it sends holds at
 * most 10 txns; the leader's inbox puts many clients' batches into each epoch. Every txn gets one
 * id, is sequenced once, and every replica holds the same sequence.
 */
class InboxFanInIT {
  private static final Logger LOG = LoggerFactory.getLogger(InboxFanInIT.class);

  private static final int CLIENTS = 16;
  private static final int BURSTS = 30;
  private static final int BURST = 10;

  /**
   * A follower never takes a submission: Ratis answers a read-only request on the ready leader only
   * (the default read option), and a follower answers not-leader, naming the leader, without
   * calling the state machine; the client's Ratis client then follows the leader.
   */
  @Test
  void aFollowerAnswersASubmissionWithNotLeader() throws Exception {
    try (LocalCluster cluster = ClientItSupport.cluster()) {
      int leader = cluster.awaitLeader(Duration.ofSeconds(30));
      int follower = (leader + 1) % cluster.size();
      RaftPeerId followerId = cluster.peers().get(follower).getId();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (cluster.node(follower).status().leaderId().isEmpty()) {
        assertThat(System.nanoTime()).as("the follower learns the leader").isLessThan(deadline);
        Thread.sleep(20);
      }
      byte[] entry =
          EntryEncoder.encode(EpochBatch.auto(0, List.of(ClientItSupport.txn(new Random(1), 1))));
      Message query = Message.valueOf(UnsafeByteOperations.unsafeWrap(Protocol.submitQuery(entry)));
      try (SequencerClient client = SequencerClient.builder().peers(cluster.peers()).build();
          RaftClient raft =
              RaftClient.newBuilder()
                  .setProperties(new RaftProperties())
                  .setRaftGroup(client.group())
                  .setRetryPolicy(RetryPolicies.noRetry())
                  .build()) {
        NotLeaderException notLeader = null;
        try {
          RaftClientReply reply =
              raft.async().sendReadOnlyUnordered(query, followerId).get(30, TimeUnit.SECONDS);
          notLeader = reply.getNotLeaderException();
        } catch (ExecutionException e) {
          for (Throwable c = e; c != null && notLeader == null; c = c.getCause()) {
            if (c instanceof NotLeaderException n) {
              notLeader = n;
            }
          }
        }
        assertThat(notLeader).as("the follower's answer").isNotNull();
        assertThat(notLeader.getSuggestedLeader().getId())
            .isEqualTo(cluster.peers().get(leader).getId());
        assertThat(ClusterChecks.inboxRefusals(List.of(cluster.node(follower)), "closed"))
            .as("the follower's state machine never saw it")
            .isZero();
        // The client, asked to submit, follows the leader whichever peer it tried first.
        assertThat(client.submit(ClientItSupport.txn(new Random(2), 2)).get(30, TimeUnit.SECONDS))
            .isNotNull();
      }
    }
  }

  @Test
  void manySmallSubmittersGetEpochsOfManyTxns() throws Exception {
    try (LocalCluster cluster = ClientItSupport.cluster()) {
      cluster.awaitLeader(Duration.ofSeconds(30));
      List<SequencerClient> clients = new ArrayList<>();
      try {
        for (int c = 0; c < CLIENTS; c++) {
          clients.add(SequencerClient.builder().peers(cluster.peers()).build());
        }
        List<List<TxnId>> ids = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
          SequencerClient client = clients.get(c);
          List<TxnId> mine = new ArrayList<>();
          ids.add(mine);
          Random rnd = new Random(13 + c);
          int base = c * BURSTS * BURST;
          Thread t =
              new Thread(
                  () -> {
                    try {
                      for (int b = 0; b < BURSTS; b++) {
                        List<CompletableFuture<TxnId>> fs = new ArrayList<>();
                        for (int i = 0; i < BURST; i++) {
                          fs.add(client.submit(ClientItSupport.txn(rnd, base + b * BURST + i)));
                        }
                        for (CompletableFuture<TxnId> f : fs) {
                          mine.add(f.get(60, TimeUnit.SECONDS));
                        }
                      }
                    } catch (Exception | AssertionError e) {
                      synchronized (failures) {
                        failures.add(e);
                      }
                    }
                  },
                  "submitter-" + c);
          threads.add(t);
          t.start();
        }
        for (Thread t : threads) {
          t.join(TimeUnit.MINUTES.toMillis(3));
        }
        assertThat(failures).isEmpty();

        Set<TxnId> all = new HashSet<>();
        long last = -1;
        for (List<TxnId> mine : ids) {
          assertThat(mine).hasSize(BURSTS * BURST);
          for (TxnId id : mine) {
            assertThat(all.add(id)).as("TxnId %s given twice", id).isTrue();
            last = Math.max(last, id.epoch());
          }
        }
        ClientItSupport.awaitApplied(cluster, last);
        TreeMap<TxnId, Txn> sequence = ClientItSupport.identicalSequence(cluster, last);
        assertThat(sequence.keySet()).containsAll(all);

        Map<Long, Set<Long>> clientsByEpoch = new HashMap<>();
        for (Map.Entry<TxnId, Txn> e : sequence.entrySet()) {
          if (all.contains(e.getKey())) {
            clientsByEpoch
                .computeIfAbsent(e.getKey().epoch(), k -> new HashSet<>())
                .add(e.getValue().clientTxnId().clientId());
          }
        }
        int epochs = clientsByEpoch.size();
        double txnsPerEpoch = (double) all.size() / epochs;
        int mostClients = clientsByEpoch.values().stream().mapToInt(Set::size).max().orElse(0);
        LOG.info(
            "{} txns from {} clients in {} epochs: {} txns per epoch, up to {} clients in one",
            all.size(),
            CLIENTS,
            epochs,
            String.format(java.util.Locale.ROOT, "%.1f", txnsPerEpoch),
            mostClients);
        assertThat(txnsPerEpoch)
            .as("epochs hold more than one client's batch of at most %d txns", BURST)
            .isGreaterThan(BURST);
        assertThat(mostClients)
            .as("some epoch holds several clients' txns")
            .isGreaterThanOrEqualTo(4);
      } finally {
        for (SequencerClient c : clients) {
          c.close();
        }
      }
    }
  }
}
