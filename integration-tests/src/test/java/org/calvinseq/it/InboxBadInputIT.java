package org.calvinseq.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.TimeDuration;
import org.calvinseq.client.ProposalRejectedException;
import org.calvinseq.client.SequencerClient;
import org.calvinseq.core.codec.EntryEncoder;
import org.calvinseq.core.codec.ProposalLimits;
import org.calvinseq.core.model.AckBatch;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.protocol.NodeStatus;
import org.calvinseq.core.protocol.Protocol;
import org.calvinseq.testkit.LocalCluster;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue 13: bad submissions are refused before the leader inbox, each with a message that says what
 * is wrong, and none of them reaches the log: no epoch is taken, no node applies anything for them,
 * none crashes, and a good submission afterwards takes the very next epoch. The submissions go as
 * raw submission queries (docs/wire-format.md section 14a) through a Ratis client of their own, so
 * each is exactly the bytes the test means, whatever the client library would send.
 */
class InboxBadInputIT {
  private static final Logger LOG = LoggerFactory.getLogger(InboxBadInputIT.class);
  private static final int MAX_ENTRY_BYTES = 16 * 1024;
  private static final int EPOCH_BYTES = 8 * 1024;
  private static final int EPOCH_TXNS = 100;
  private static final long TENANT = 7;

  @Test
  void badSubmissionsAreRefusedBeforeTheInboxAndNeverReachTheLog() throws Exception {
    ProposalLimits limits = new ProposalLimits(MAX_ENTRY_BYTES, 1000, 8, 1024, 100);
    try (LocalCluster cluster =
            LocalCluster.builder()
                .nodes(3)
                .configure(
                    b ->
                        b.vshardCount(ClientItSupport.VSHARDS)
                            .limits(limits)
                            .inboxSettings(s -> s.withEpochLimits(EPOCH_TXNS, EPOCH_BYTES)))
                .build()
                .start();
        // A long call timeout: on a loaded machine the first seconds may see several elections.
        SequencerClient client =
            cluster.clientSettings().callTimeout(Duration.ofSeconds(55)).build();
        RaftClient raw =
            RaftClient.newBuilder()
                .setProperties(new RaftProperties())
                .setRaftGroup(client.group())
                .setRetryPolicy(
                    RetryPolicies.retryUpToMaximumCountWithFixedSleep(
                        300, TimeDuration.valueOf(100, TimeUnit.MILLISECONDS)))
                .build()) {
      cluster.awaitLeader(Duration.ofSeconds(30));
      TxnId first = client.submit(txn(10, 1)).get(60, TimeUnit.SECONDS);
      cluster.awaitApplied(first.epoch(), Duration.ofSeconds(60));
      List<Counts> before = counts(cluster);

      // Over the leader's entry size limit: refused by its size alone, before it is decoded.
      List<Txn> big = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        big.add(txn(900, 1));
      }
      int bigBytes = EntryEncoder.encode(EpochBatch.auto(0, big)).length;
      assertThat(bigBytes).isGreaterThan(MAX_ENTRY_BYTES);
      refused(
          raw,
          entry(big),
          "TOO_LARGE",
          "submission is "
              + bigBytes
              + " bytes, over the limit of "
              + MAX_ENTRY_BYTES
              + " (the node's max-batch-bytes");

      // Within the entry limit but not within one epoch's bytes (the inbox's 8 KiB here): a
      // submission goes into one epoch whole.
      List<Txn> wide = big.subList(0, 12);
      assertThat(EntryEncoder.encode(EpochBatch.auto(0, wide)).length)
          .isLessThan(MAX_ENTRY_BYTES)
          .isGreaterThan(EPOCH_BYTES);
      refused(
          raw,
          entry(wide),
          "TOO_LARGE",
          "submission of tenant 7 refused: its 12 txns encode to up to",
          "over the limit of 8,192 bytes per epoch (a submission goes into one epoch whole);"
              + " split it");

      // More txns than an epoch holds.
      List<Txn> many = new ArrayList<>();
      for (int i = 0; i < EPOCH_TXNS + 1; i++) {
        many.add(txn(1, 1));
      }
      refused(
          raw,
          entry(many),
          "TOO_MANY_TXNS",
          "submission of tenant 7 refused: it has 101 txns, over the limit of 100 per epoch");

      // Malformed: garbage after the kind byte (the query itself does not decode), garbage as the
      // batch entry, an ack entry, a batch naming its epoch, and a client txn id of 3 bytes.
      String badQuery = failedQuery(raw, HexFormat.of().parseHex("9204c1c1c1"));
      assertThat(badQuery).contains("StateMachineException").contains("bad query");
      refused(
          raw,
          Protocol.submitQuery(HexFormat.of().parseHex("deadbeef")),
          "MALFORMED",
          "malformed submission");
      refused(
          raw,
          Protocol.submitQuery(EntryEncoder.encode(new AckBatch(List.of()))),
          "MALFORMED",
          "a submission is a batch entry without an epoch");
      refused(
          raw,
          Protocol.submitQuery(
              EntryEncoder.encode(new EpochBatch(first.epoch() + 1, 0, List.of(txn(1, 1))))),
          "MALFORMED",
          "a submission is a batch entry without an epoch");
      // {0: 1, 1: 1, 3: 0, 4: [{1: bin(aabbcc), 2: 7, 4: [["c", bin("k")]]}]}
      refused(
          raw,
          Protocol.submitQuery(
              HexFormat.of().parseHex("8400010101030004918301c403aabbcc0207049192a163c4016b")),
          "MALFORMED",
          "malformed submission: txns[0].clientTxnId",
          "expected 16 bytes, got 3");

      // Empty.
      refused(raw, entry(List.of()), "EMPTY", "submission refused: it has no txns");

      // Txns with invalid fields: no keys, too many keys, too large a payload (one bad txn refuses
      // the whole submission, its index named).
      refused(
          raw,
          entry(List.of(txn(1, 1), txn(1, 0))),
          "INVALID_TXN",
          "submission of tenant 7 refused: txns[1] has no keys");
      refused(
          raw,
          entry(List.of(txn(1, 9))),
          "INVALID_TXN",
          "submission of tenant 7 refused: txns[0] has 9 keys, over the limit of 8");
      refused(
          raw,
          entry(List.of(txn(2048, 1))),
          "INVALID_TXN",
          "submission of tenant 7 refused: txns[0] payload is 2048 bytes, over the limit of 1024");

      // Through the client library, a final refusal is a ProposalRejectedException with the
      // leader's message, and is not retried.
      assertThatThrownBy(() -> client.submit(txn(1, 0)).join())
          .isInstanceOf(CompletionException.class)
          .cause()
          .isInstanceOf(ProposalRejectedException.class)
          .hasMessageContaining("submission of tenant 7 refused: txns[0] has no keys");

      // Nothing reached the log: no node applied an epoch or an entry of them, none failed to
      // decode one, and every node still answers.
      List<Counts> after = counts(cluster);
      for (int i = 0; i < cluster.size(); i++) {
        assertThat(after.get(i)).as("node %s", cluster.nodeId(i)).isEqualTo(before.get(i));
      }
      // Counted by whichever node led when each came (leadership may move on a loaded machine).
      assertThat(ClusterChecks.inboxRefusals(cluster.running(), "too_large"))
          .isGreaterThanOrEqualTo(2);
      assertThat(ClusterChecks.inboxRefusals(cluster.running(), "too_many_txns"))
          .isGreaterThanOrEqualTo(1);
      assertThat(ClusterChecks.inboxRefusals(cluster.running(), "malformed"))
          .isGreaterThanOrEqualTo(4);
      assertThat(ClusterChecks.inboxRefusals(cluster.running(), "empty")).isGreaterThanOrEqualTo(1);
      assertThat(ClusterChecks.inboxRefusals(cluster.running(), "invalid_txn"))
          .isGreaterThanOrEqualTo(4);

      // A good submission afterwards takes the very next epoch, on every node.
      TxnId next = client.submit(txn(10, 2)).get(60, TimeUnit.SECONDS);
      assertThat(next.epoch())
          .as("no epoch was taken by the refused ones")
          .isEqualTo(first.epoch() + 1);
      cluster.awaitApplied(next.epoch(), Duration.ofSeconds(60));
      for (int i = 0; i < cluster.size(); i++) {
        NodeStatus s = cluster.status(i);
        assertThat(s).as("status of %s", cluster.nodeId(i)).isNotNull();
        assertThat(s.lastAppliedEpoch()).isEqualTo(next.epoch());
        assertThat(
                cluster.node(i).meterRegistry().get("sequencer.epochs.applied").counter().count())
            .isEqualTo(before.get(i).epochsApplied() + 1);
      }
    }
  }

  /** What a node has applied: none of it may move because of a refused submission. */
  private record Counts(
      long lastAppliedEpoch,
      double epochsApplied,
      double decodeErrors,
      double stale,
      double outOfRange) {}

  private static List<Counts> counts(LocalCluster cluster) {
    List<Counts> out = new ArrayList<>();
    for (int i = 0; i < cluster.size(); i++) {
      NodeStatus s = cluster.status(i);
      assertThat(s).as("status of %s", cluster.nodeId(i)).isNotNull();
      var r = cluster.node(i).meterRegistry();
      out.add(
          new Counts(
              s.lastAppliedEpoch(),
              r.get("sequencer.epochs.applied").counter().count(),
              r.get("sequencer.decode.errors").counter().count(),
              r.get("sequencer.epochs.stale").counter().count(),
              r.get("sequencer.epochs.out.of.range").counter().count()));
    }
    return out;
  }

  /**
   * Sends {@code query} to the leader and asserts that it is refused as final with {@code reason}
   * and a message holding each of {@code parts}. A {@code CLOSED} answer (leadership changing on a
   * loaded machine) is asked again.
   */
  private static void refused(RaftClient raw, byte[] query, String reason, String... parts)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      RaftClientReply reply =
          raw.async()
              .sendReadOnlyUnordered(Message.valueOf(UnsafeByteOperations.unsafeWrap(query)))
              .get(60, TimeUnit.SECONDS);
      assertThat(reply.isSuccess()).as("reply %s", reply).isTrue();
      Protocol.SubmitReply r =
          Protocol.decodeSubmitReply(reply.getMessage().getContent().asReadOnlyByteBuffer());
      assertThat(r).isInstanceOf(Protocol.SubmitRefused.class);
      Protocol.SubmitRefused f = (Protocol.SubmitRefused) r;
      if ("CLOSED".equals(f.reason()) && System.nanoTime() < deadline) {
        Thread.sleep(50);
        continue;
      }
      LOG.info("refused {}: {}", f.reason(), f.message());
      assertThat(f.reason()).as(f.message()).isEqualTo(reason);
      assertThat(f.retryable()).as("bad input is final").isFalse();
      assertThat(f.retryAfterMs()).isEqualTo(-1);
      for (String p : parts) {
        assertThat(f.message()).contains(p);
      }
      return;
    }
  }

  /** Sends a query that does not decode; returns the error it is answered with. */
  private static String failedQuery(RaftClient raw, byte[] query) throws Exception {
    try {
      RaftClientReply reply =
          raw.async()
              .sendReadOnlyUnordered(Message.valueOf(UnsafeByteOperations.unsafeWrap(query)))
              .get(60, TimeUnit.SECONDS);
      assertThat(reply.isSuccess()).as("a query that does not decode succeeded").isFalse();
      return String.valueOf(reply.getException());
    } catch (ExecutionException e) {
      StringBuilder b = new StringBuilder();
      for (Throwable c = e; c != null; c = c.getCause()) {
        b.append(c).append("; ");
      }
      return b.toString();
    }
  }

  private static byte[] entry(List<Txn> txns) {
    return Protocol.submitQuery(EntryEncoder.encode(EpochBatch.auto(0, txns)));
  }

  private static Txn txn(int payload, int keys) {
    List<Key> ks = new ArrayList<>();
    for (int i = 0; i < keys; i++) {
      ks.add(Key.of("c", "k" + i));
    }
    return new Txn(null, TENANT, List.of(), ks, new byte[payload]);
  }
}
