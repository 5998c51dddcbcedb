package org.calvinseq.it;

import static org.assertj.core.api.Assertions.assertThat;

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
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.server.cli.SequencerCli;
import org.calvinseq.server.testkit.LocalCluster;
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
    try (LocalCluster cluster = ClientItSupport.cluster()) {
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

      Run bench =
          run(
              "bench",
              "--peers",
              peers,
              "--clients",
              "2",
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

      cluster.kill(cluster.awaitLeader(Duration.ofSeconds(30)) == 0 ? 1 : 0);
      Run degraded = run("status", "--peers", peers, "--timeout", "3s");
      assertThat(degraded.out().lines().filter(r -> r.contains("UNREACHABLE"))).hasSize(1);
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
