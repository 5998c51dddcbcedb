package org.calvinseq.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import org.apache.ratis.server.raftlog.RaftLog;
import org.calvinseq.cli.SequencerCli;
import org.calvinseq.client.ProposalRejectedException;
import org.calvinseq.core.apply.ApplyResult;
import org.calvinseq.core.codec.ProposalLimits;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.server.NodeInternals;
import org.calvinseq.server.SequencerNode;
import org.calvinseq.testkit.LocalCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Bad proposals are refused at the leader with a reason, and none of them reaches the log. */
class BadProposalsIT {
  @TempDir Path dir;

  @Test
  void oversizedMalformedAndWrongVersionProposalsAreRejectedBeforeTheLog() throws Exception {
    ProposalLimits limits = new ProposalLimits(16 * 1024, 100, 8, 1024, 100);
    try (LocalCluster cluster =
        LocalCluster.builder()
            .nodes(3)
            .configure(b -> b.vshardCount(8).limits(limits))
            .build()
            .start()) {
      cluster.awaitLeader(Duration.ofSeconds(30));
      BatchReceipt first =
          cluster.client().propose(TestTxns.batch(new Random(1), 2, 4, 1, 0)).join();
      cluster.awaitApplied(first.epoch(), Duration.ofSeconds(30));

      rejected(
          () -> cluster.client().propose(batch(txn(2048, 1))),
          "payload is 2048 bytes, over the limit of 1024");
      List<Txn> many = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        many.add(txn(900, 1));
      }
      rejected(() -> cluster.client().propose(batch(many)), "over the limit of 16384");
      rejected(
          () -> cluster.client().propose(batch(txn(10, 9))), "has 9 keys, over the limit of 8");
      List<Txn> tooMany = new ArrayList<>();
      for (int i = 0; i < 101; i++) {
        tooMany.add(txn(1, 1));
      }
      rejected(
          () -> cluster.client().propose(batch(tooMany)), "has 101 txns, over the limit of 100");
      rejected(
          () ->
              cluster.client().propose(batch(new Txn(null, 1, List.of(), List.of(), new byte[0]))),
          "has no keys");
      rejected(
          () -> cluster.client().proposeRaw(HexFormat.of().parseHex("deadbeef")),
          "malformed entry");
      // {0: 3, 1: 1, 3: 0, 4: []}: a batch in a format version from the future.
      rejected(
          () -> cluster.client().proposeRaw(HexFormat.of().parseHex("8400030101030004" + "90")),
          "unsupported format version 3");
      // {0: 2, 1: 1, 3: 0, 4: [[nil, [{}]]]}: a grouped batch, which only leaders write.
      rejected(
          () ->
              cluster
                  .client()
                  .proposeRaw(HexFormat.of().parseHex("8400020101030004" + "9192c09180")),
          "format version 2 (a grouped batch) is not read here");
      // {0: 1, 1: 9}: an entry type this version does not know.
      rejected(
          () -> cluster.client().proposeRaw(HexFormat.of().parseHex("8200010109")),
          "unknown entry type 9");

      // Issue 10: one batch naming an epoch near 2^63 used to be committed and make every later
      // batch a decode error. The leader refuses it, naming the epoch, the next epoch and the
      // limit.
      long next = first.epoch() + 1;
      rejected(
          () -> cluster.client().propose(named(Long.MAX_VALUE - 1)),
          "batch names epoch 9223372036854775806, more than the limit of 100 (max-epoch-gap)"
              + " above the next epoch "
              + next);
      rejected(() -> cluster.client().propose(named(Long.MAX_VALUE)), "no epoch could follow");
      rejected(
          () -> cluster.client().propose(named(next + 101)),
          "names epoch " + (next + 101) + ", more than the limit of 100");
      rejected(
          () -> cluster.client().propose(EpochBatch.auto(Long.MAX_VALUE, List.of(txn(1, 1)))),
          "ahead of the leader's clock");
      // The repro through the CLI: refused, and propose says so and exits 1.
      Path file = dir.resolve("hostile.jsonl");
      Files.writeString(
          file,
          "{\"epoch\":9223372036854775806,\"txns\":[{\"write\":[{\"collection\":\"c\","
              + "\"key\":\"k\"}]}]}\n");
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      CommandLine cli = SequencerCli.commandLine();
      cli.setOut(new PrintWriter(out, true));
      cli.setErr(new PrintWriter(err, true));
      int code =
          cli.execute("propose", "--peers", cluster.peersString(), "--file", file.toString());
      assertThat(code).as(err.toString()).isEqualTo(1);
      assertThat(err.toString())
          .contains("line 1")
          .contains("epoch 9223372036854775806")
          .contains("max-epoch-gap");
      assertThat(out.toString()).as("no receipt").isEmpty();

      BatchReceipt ok = cluster.client().propose(TestTxns.batch(new Random(2), 2, 4, 2, 0)).join();
      assertThat(ok.outcome()).isEqualTo(ApplyResult.Kind.APPLIED);
      assertThat(ok.epoch()).isEqualTo(first.epoch() + 1);
      cluster.awaitApplied(ok.epoch(), Duration.ofSeconds(30));

      // Nothing of the bad proposals reached the log: every node's log holds exactly the two good
      // batches besides its cluster-init entry, and no node counted a decode error.
      for (SequencerNode n : cluster.running()) {
        assertThat(stateMachineEntries(n, cluster)).as("entries on %s", n.nodeId()).isEqualTo(2);
        assertThat(n.meterRegistry().get("sequencer.decode.errors").counter().count()).isZero();
        assertThat(n.meterRegistry().get("sequencer.epochs.applied").counter().count())
            .isEqualTo(2.0);
      }
      double rejected =
          cluster.running().stream()
              .mapToDouble(
                  n ->
                      n.meterRegistry()
                          .get("sequencer.proposals")
                          .tag("outcome", "rejected")
                          .counter()
                          .count())
              .sum();
      assertThat(rejected).as("rejections counted by the leader(s)").isGreaterThanOrEqualTo(14);
    }
  }

  private static long stateMachineEntries(SequencerNode n, LocalCluster cluster) throws Exception {
    RaftLog log =
        NodeInternals.raftServer(n).getDivision(cluster.client().group().getGroupId()).getRaftLog();
    long count = 0;
    for (long i = log.getStartIndex(); i <= log.getLastCommittedIndex(); i++) {
      var e = log.get(i);
      // Batches only: the leader's cluster-init entry is a state-machine entry too.
      if (e != null
          && e.hasStateMachineLogEntry()
          && !(new org.calvinseq.core.codec.EntryDecoder()
                  .readGrouped(true)
                  .decode(e.getStateMachineLogEntry().getLogData().toByteArray())
              instanceof org.calvinseq.core.model.ClusterInit)) {
        count++;
      }
    }
    return count;
  }

  private static void rejected(
      Supplier<java.util.concurrent.CompletableFuture<?>> call, String why) {
    assertThatThrownBy(() -> call.get().join())
        .isInstanceOf(CompletionException.class)
        .cause()
        .isInstanceOf(ProposalRejectedException.class)
        .hasMessageContaining(why);
  }

  private static Txn txn(int payload, int keys) {
    List<Key> ks = new ArrayList<>();
    for (int i = 0; i < keys; i++) {
      ks.add(Key.of("c", "k" + i));
    }
    return new Txn(null, 1, List.of(), ks, new byte[payload]);
  }

  private static EpochBatch named(long epoch) {
    return new EpochBatch(epoch, System.currentTimeMillis(), List.of(txn(1, 1)));
  }

  private static EpochBatch batch(Txn t) {
    return batch(List.of(t));
  }

  private static EpochBatch batch(List<Txn> txns) {
    return EpochBatch.auto(System.currentTimeMillis(), txns);
  }
}
