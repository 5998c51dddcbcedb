package org.calvinseq.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.calvinseq.cli.SequencerCli;
import org.calvinseq.client.PeerHealth;
import org.calvinseq.client.ProposalRejectedException;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.testkit.LocalCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The client commands of the command line against a real cluster. */
class ClientCliIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = SequencerCli.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void proposeStatusReplayAndBenchAgainstALocalCluster() throws Exception {
    try (LocalCluster cluster = ClientItSupport.clusterWithAdmin()) {
      cluster.awaitLeader(Duration.ofSeconds(30));
      String peers = cluster.peersString();

      Path file = dir.resolve("batches.jsonl");
      List<String> lines = new ArrayList<>();
      for (int b = 0; b < 3; b++) {
        lines.add(
            "{\"txns\": [{\"clientId\": 5, \"seq\": "
                + b
                + ", \"tenant\": 2, \"read\": [{\"collection\": \"acct\", \"key\": \"a"
                + b
                + "\"}], \"write\": [{\"collection\": \"acct\", \"key\": \"b\"}],"
                + " \"payload\": \"move "
                + b
                + "\"}]}");
      }
      Files.write(file, lines, StandardCharsets.UTF_8);
      Run propose = run("propose", "--peers", peers, "--file", file.toString());
      assertThat(propose.code()).as(propose.err()).isZero();
      List<JsonNode> receipts = parse(propose.out());
      assertThat(receipts).hasSize(3);
      long last = -1;
      for (int i = 0; i < 3; i++) {
        assertThat(receipts.get(i).get("line").asInt()).isEqualTo(i + 1);
        assertThat(receipts.get(i).get("outcome").asText()).isEqualTo("APPLIED");
        assertThat(receipts.get(i).get("txns").asInt()).isEqualTo(1);
        long epoch = receipts.get(i).get("epoch").asLong();
        assertThat(epoch).isGreaterThan(last);
        last = epoch;
      }
      cluster.awaitApplied(last, Duration.ofSeconds(30));

      Run status = run("status", "--peers", peers);
      assertThat(status.code()).as(status.err()).isZero();
      List<String> rows = status.out().lines().toList();
      assertThat(rows.get(0)).startsWith("PEER").contains("ROLE", "TERM", "APPLIED_EPOCH", "LAG");
      assertThat(rows).hasSize(5);
      assertThat(rows.get(4)).startsWith("cluster ").contains(": Raft group id ");
      assertThat(rows.subList(0, 4).stream().filter(r -> r.split("\\s+")[2].equals("LEADER")))
          .hasSize(1);

      int vshard =
          new org.calvinseq.core.routing.CollectionHashRouter(ClientItSupport.VSHARDS)
              .vshardOfCollection("acct");
      Run replay =
          run(
              "replay",
              "--peers",
              peers,
              "--vshard",
              Integer.toString(vshard),
              "--from",
              "0",
              "--to",
              Long.toString(last),
              "--peer",
              "n2",
              "--page-size",
              "2");
      assertThat(replay.code()).as(replay.err()).isZero();
      assertThat(replay.err()).contains(": 3 txns, complete through epoch " + last + "\n");
      List<JsonNode> txns = parse(replay.out());
      List<SequencedTxn> local = new ArrayList<>();
      cluster.node(0).replay(vshard, 0, last).forEachRemaining(local::add);
      assertThat(txns).hasSize(local.size()).hasSize(3);
      for (int i = 0; i < 3; i++) {
        JsonNode t = txns.get(i);
        assertThat(t.get("epoch").asLong()).isEqualTo(local.get(i).epoch());
        assertThat(t.get("seq").asLong()).isEqualTo(i);
        assertThat(t.get("payload").asText()).isEqualTo("move " + i);
        assertThat(t.get("read").get(0).get("key").asText()).isEqualTo("a" + i);
      }

      int leader = cluster.awaitLeader(Duration.ofSeconds(30));
      Run bench =
          run(
              "bench",
              "--peers",
              peers,
              "--clients",
              "2",
              "--client-instances",
              "2",
              "--metrics-url",
              "http://127.0.0.1:" + cluster.adminPort(leader),
              "--cpu-pid",
              Long.toString(ProcessHandle.current().pid()),
              "--batch-size",
              "100",
              "--duration",
              "2s",
              "--warmup",
              "1s",
              "--rate",
              "2000");
      assertThat(bench.code()).as(bench.err()).isZero();
      List<String> out = bench.out().lines().toList();
      assertThat(out.size()).isGreaterThanOrEqualTo(3);
      assertThat(out.get(0)).contains("txn/s").contains("p99");
      String summary = out.get(out.size() - 1);
      assertThat(summary).startsWith("summary mode=submit").contains("errors 0").contains("p99.9");
      assertThat(summary).doesNotContain(": 0 txns");
      // Two clients' batches, in entries the scrape counted, by a cluster that used some CPU.
      assertThat(summary).contains("client-instances=2").contains("entries/s, txns/epoch");
      assertThat(summary).containsPattern("cpu/entry \\d+\\.\\d+ ms");
      assertThat(summary).doesNotContain(" 0 entries");
      // Four senders on one thread, paced in ticks and then as fast as answers free room.
      for (String rate : new String[] {"2000", "0"}) {
        Run driven =
            run(
                "bench",
                "--peers",
                peers,
                "--clients",
                "4",
                "--client-instances",
                "2",
                "--drivers",
                "1",
                "--batch-size",
                "10",
                "--max-outstanding",
                "20",
                "--submit-all",
                "--duration",
                "2s",
                "--warmup",
                "1s",
                "--rate",
                rate);
        assertThat(driven.code()).as(driven.err()).isZero();
        String drivenSummary = driven.out().lines().reduce((a, b) -> b).orElseThrow();
        assertThat(drivenSummary).startsWith("summary mode=submit clients=4").contains("errors 0");
        assertThat(drivenSummary).doesNotContain(": 0 txns");
        if (rate.equals("0")) {
          assertThat(drivenSummary).doesNotContain("from send"); // unpaced: no due times
          continue;
        }
        // Paced: latency also from when each txn was handed to the client, which is never before
        // its due time, so it is never the longer of the two.
        Matcher m =
            Pattern.compile(
                    "latency p50 ([\\d.]+) ms p99 ([\\d.]+) ms .* from send p50 ([\\d.]+) ms p99"
                        + " ([\\d.]+) ms")
                .matcher(drivenSummary);
        assertThat(m.find()).as(drivenSummary).isTrue();
        assertThat(Double.parseDouble(m.group(3)))
            .isLessThanOrEqualTo(Double.parseDouble(m.group(1)));
        assertThat(Double.parseDouble(m.group(4)))
            .isLessThanOrEqualTo(Double.parseDouble(m.group(2)));
      }

      cluster.kill(cluster.awaitLeader(Duration.ofSeconds(30)) == 0 ? 1 : 0);
      Run degraded = run("status", "--peers", peers, "--timeout", "3s");
      assertThat(degraded.out().lines().filter(r -> r.contains("UNREACHABLE"))).hasSize(1);
    }
  }

  @Test
  void statusKeepsAskingMembersThatAnswerLateWithinItsTimeout() throws Exception {
    try (LocalCluster cluster = ClientItSupport.cluster()) {
      cluster.awaitLeader(Duration.ofSeconds(30));
      String peers = cluster.peersString();
      for (int i = 0; i < cluster.size(); i++) {
        cluster.stop(i);
      }
      CompletableFuture<Run> status =
          CompletableFuture.supplyAsync(() -> run("status", "--peers", peers, "--timeout", "60s"));
      Thread.sleep(2000);
      assertThat(status).as("still asking the stopped members").isNotDone();
      cluster.startStopped();
      Run r = status.get(90, TimeUnit.SECONDS);
      List<String> rows = r.out().lines().toList();
      assertThat(rows).as(r.out()).hasSize(5); // the header, three members, the group id
      assertThat(rows).noneMatch(l -> l.contains("UNREACHABLE"));
    }
  }

  @Test
  void aBatchOverTheNodesMessageLimitFailsAtOnceAndTheClusterGoesOn() throws Exception {
    try (LocalCluster cluster = ClientItSupport.cluster()) {
      cluster.awaitLeader(Duration.ofSeconds(30));
      // 9 txns of 1,000,000 payload bytes: each within the payload limit, the whole over the
      // nodes' 4 MiB batch limit and their 7 MiB gRPC message limit.
      List<Txn> txns = new ArrayList<>();
      for (int i = 0; i < 9; i++) {
        txns.add(new Txn(null, 0, List.of(), List.of(Key.of("c", "k" + i)), new byte[1_000_000]));
      }
      long start = System.nanoTime();
      assertThatThrownBy(
              () ->
                  cluster
                      .client()
                      .propose(EpochBatch.auto(System.currentTimeMillis(), txns))
                      .join())
          .cause()
          .isInstanceOf(ProposalRejectedException.class)
          .hasMessageStartingWith("proposal not sent: it is 9000")
          .hasMessageContaining("over the limit of 4194304 bytes");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
      assertThat(cluster.client().peerHealth())
          .allMatch(h -> h.state() == PeerHealth.State.HEALTHY);

      // Told a larger limit than the nodes have, the client sends it; the node's gRPC layer
      // refuses it, and that answer is final too.
      StringBuilder line = new StringBuilder("{\"txns\": [");
      for (int i = 0; i < 9; i++) {
        line.append(i == 0 ? "" : ", ")
            .append("{\"write\": [{\"collection\": \"c\", \"key\": \"k\"}], \"payload\": \"")
            .append("x".repeat(1_000_000))
            .append("\"}");
      }
      Path big = dir.resolve("big.jsonl");
      Files.writeString(big, line.append("]}\n"), StandardCharsets.UTF_8);
      start = System.nanoTime();
      Run lied =
          run(
              "propose",
              "--peers",
              cluster.peersString(),
              "--file",
              big.toString(),
              "--max-batch-bytes",
              Integer.toString(16 << 20));
      assertThat(lied.code()).as(lied.err()).isEqualTo(1);
      assertThat(lied.err())
          .contains("line 1: proposal rejected by the node's gRPC message limit")
          .contains("exceeds maximum size 7340032");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));

      BatchReceipt ok =
          cluster
              .client()
              .propose(EpochBatch.auto(System.currentTimeMillis(), txns.subList(0, 1)))
              .get(30, TimeUnit.SECONDS);
      assertThat(ok.sequenced()).as(ok.toString()).isTrue();
    }
  }

  private static List<JsonNode> parse(String out) throws Exception {
    List<JsonNode> nodes = new ArrayList<>();
    for (String l : out.lines().toList()) {
      nodes.add(JSON.readTree(l));
    }
    return nodes;
  }
}
