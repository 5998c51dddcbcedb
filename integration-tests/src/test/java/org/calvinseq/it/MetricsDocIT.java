package org.calvinseq.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.calvinseq.client.SequencerClient;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.core.queue.VShardConsumer;
import org.calvinseq.server.SequencerNode;
import org.calvinseq.testkit.LocalCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metrics reference, the alert rules and the dashboard against a real scrape: one 3-node
 * cluster with admin endpoints and the event log on, a little load (proposals, an ack, a local and
 * a remote replay), then every {@code sequencer_} family of the scrape must be in {@code
 * docs/metrics.md}, every family named there must be in the scrape, and every metric the rules and
 * the dashboard's queries use must be in it too. Client families are checked against a client's own
 * registry.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MetricsDocIT {
  /** A metric name as the docs, rules and queries write it. */
  private static final Pattern SEQUENCER_NAME = Pattern.compile("\\bsequencer_[a-z0-9_]*[a-z0-9]");

  private static final Pattern ANY_NAME =
      Pattern.compile("\\b(?:sequencer|jvm|process|system)_[a-z0-9_]*[a-z0-9]");

  @TempDir Path tmp;
  private LocalCluster cluster;
  private SequencerClient client;
  private final PrometheusMeterRegistry clientRegistry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private Scrape server;
  private Scrape clientScrape;

  @BeforeAll
  void startClusterAndLoadIt() throws Exception {
    cluster =
        LocalCluster.builder()
            .nodes(3)
            .adminEndpoints(true)
            .configure(b -> b.vshardCount(16).eventLog(Path.of("events.tsv")))
            .build()
            .start();
    cluster.awaitLeader(Duration.ofSeconds(30));
    client = SequencerClient.builder().peers(cluster.peers()).meterRegistry(clientRegistry).build();
    Random rnd = new Random(7);
    BatchReceipt last = null;
    EpochBatch lastBatch = null;
    for (int i = 0; i < 5; i++) {
      lastBatch = TestTxns.batch(rnd, 4, 4, 11, i * 4L);
      last = client.propose(lastBatch).join();
    }
    cluster.awaitApplied(last.epoch(), Duration.ofSeconds(30));

    SequencerNode node = cluster.node(0);
    Txn txn = lastBatch.txns().get(0);
    int[] participants = client.participants(txn);
    node.ack(last.txnId(0), participants[0], participants.length).join();
    try (VShardConsumer c = node.subscribe(participants[0], -1)) {
      assertThat(TestTxns.drain(c)).isNotEmpty(); // a new subscriber catches up by replay
    }
    client.replay(participants[0], 0, last.epoch()).forEachRemaining(t -> {});

    int port = node.adminPort();
    Http.get(port, "/metrics"); // the admin endpoint counts its own requests from the first on
    System.gc(); // the GC pause timer the dashboard charts appears with the first collection
    LocalCluster.await(
        Duration.ofSeconds(10),
        () -> scrape(port).contains("jvm_gc_pause_seconds_count"),
        "a GC pause to be recorded");
    server = Scrape.parse(scrape(port));
    clientScrape = Scrape.parse(clientRegistry.scrape());
  }

  @AfterAll
  void stop() throws IOException {
    if (client != null) {
      client.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void everyServerFamilyIsDocumentedAndEveryDocumentedOneIsScraped() throws IOException {
    Set<String> documented = documented(false);
    Set<String> scraped = server.families("sequencer_");
    scraped.removeIf(f -> f.startsWith("sequencer_client_"));
    assertThat(scraped).as("families of a real scrape").hasSizeGreaterThan(40);

    assertThat(missing(scraped, documented))
        .as("families a node exports that docs/metrics.md does not mention")
        .isEmpty();
    assertThat(missing(documented, server.names()))
        .as("names in docs/metrics.md that a node does not export")
        .isEmpty();
  }

  @Test
  void everyClientFamilyIsDocumentedAndEveryDocumentedOneIsInTheClientRegistry()
      throws IOException {
    Set<String> documented = documented(true);
    Set<String> scraped = clientScrape.families("sequencer_client_");
    assertThat(scraped).isNotEmpty();

    assertThat(missing(scraped, documented))
        .as("families a client exports that docs/metrics.md does not mention")
        .isEmpty();
    assertThat(missing(documented, clientScrape.names()))
        .as("client names in docs/metrics.md that the client does not export")
        .isEmpty();
  }

  @Test
  void alertRulesUseOnlyExportedMetrics() throws IOException {
    Set<String> used = names(SEQUENCER_NAME, read("docs/alerts/sequencer-rules.yml"));
    assertThat(used).hasSizeGreaterThan(8);
    assertThat(missing(used, server.names())).as("metrics the alert rules use").isEmpty();
  }

  @Test
  void dashboardIsGrafanaJsonWhoseQueriesUseOnlyExportedMetrics() throws Exception {
    JsonNode dash = new ObjectMapper().readTree(read("docs/dashboard/sequencer.json"));
    assertThat(dash.path("schemaVersion").asInt()).isBetween(36, 41);
    assertThat(dash.path("__inputs").findValuesAsText("name")).contains("DS_PROMETHEUS");

    List<String> queries = new ArrayList<>();
    Set<Integer> ids = new TreeSet<>();
    int panels = 0;
    for (JsonNode panel : dash.path("panels")) {
      panels++;
      assertThat(ids.add(panel.path("id").asInt())).as("unique panel id %s", panel).isTrue();
      if (!"row".equals(panel.path("type").asText())) {
        assertThat(panel.path("datasource").path("uid").asText())
            .as("datasource of panel %s", panel.path("title"))
            .isEqualTo("${DS_PROMETHEUS}");
        assertThat(panel.path("targets")).as("targets of %s", panel.path("title")).isNotEmpty();
      }
      panel.path("targets").forEach(t -> queries.add(t.path("expr").asText()));
    }
    for (JsonNode v : dash.path("templating").path("list")) {
      JsonNode q = v.path("query"); // a string or, in newer Grafana, {query, refId}
      queries.add(q.isObject() ? q.path("query").asText() : q.asText());
    }
    assertThat(panels).isGreaterThan(15);

    Set<String> used = new TreeSet<>();
    for (String q : queries) {
      used.addAll(names(ANY_NAME, q));
    }
    for (String s :
        List.of(
            "epochs_applied",
            "txns_sequenced",
            "propose_commit",
            "apply_seconds",
            "raft_log_sync",
            "raft_has_leader",
            "raft_term",
            "leader_changes",
            "commit_index",
            "last_applied_index",
            "vshards_behind",
            "queued_txns",
            "queue_depth_max",
            "drops",
            "deliveries",
            "replay_requests",
            "replay_seconds")) {
      assertThat(used).as("dashboard covers %s", s).anyMatch(n -> n.contains(s));
    }
    assertThat(missing(used, server.names())).as("metrics the dashboard queries").isEmpty();
    promtoolParses(queries);
  }

  /** Each query, with Grafana's variables filled in, must parse as PromQL (as a recording rule). */
  private void promtoolParses(List<String> queries) throws Exception {
    StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
    int n = 0;
    for (String q : queries) {
      if (q.isBlank() || q.startsWith("label_values(")) {
        continue;
      }
      String expr =
          q.replace("$__rate_interval", "5m")
              .replace("$__range", "1h")
              .replace("$job", ".*")
              .replace("$instance", ".*");
      rules
          .append("      - record: dashboard:q")
          .append(n++)
          .append("\n        expr: '")
          .append(expr.replace("'", "''"))
          .append("'\n");
    }
    Path file = tmp.resolve("dashboard-rules.yml");
    Files.writeString(file, rules);
    Process p =
        new ProcessBuilder(Promtool.path(), "check", "rules", file.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("dashboard queries as PromQL, promtool said:%n%s", out).isZero();
  }

  // ---- helpers ----

  private static String scrape(int port) {
    try {
      return Http.get(port, "/metrics").body();
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  /** Names docs/metrics.md mentions: the client's ({@code sequencer_client_}) or the server's. */
  private static Set<String> documented(boolean clientSide) throws IOException {
    Set<String> all = names(SEQUENCER_NAME, read("docs/metrics.md"));
    all.removeIf(n -> n.startsWith("sequencer_client_") != clientSide);
    return all;
  }

  /** The names of {@code wanted} that {@code have} lacks. */
  private static Set<String> missing(Set<String> wanted, Set<String> have) {
    Set<String> out = new TreeSet<>(wanted);
    out.removeAll(have);
    return out;
  }

  private static Set<String> names(Pattern p, String text) {
    Set<String> out = new TreeSet<>();
    Matcher m = p.matcher(text);
    while (m.find()) {
      out.add(m.group());
    }
    return out;
  }

  /** A file of the repository; tests run in the module directory. */
  static String read(String path) throws IOException {
    for (Path p : List.of(Path.of("..", path), Path.of(path))) {
      if (Files.exists(p)) {
        return Files.readString(p);
      }
    }
    throw new AssertionError(path + " not found from " + Path.of("").toAbsolutePath());
  }

  /** A Prometheus text exposition: family names (TYPE lines) and sample names. */
  record Scrape(Set<String> typed, Set<String> samples) {
    static Scrape parse(String text) {
      Set<String> typed = new TreeSet<>();
      Set<String> samples = new TreeSet<>();
      for (String line : text.split("\n")) {
        if (line.startsWith("# TYPE ")) {
          typed.add(line.split(" ")[2]);
        } else if (!line.isBlank() && !line.startsWith("#")) {
          int end = line.indexOf('{');
          samples.add(line.substring(0, end >= 0 ? end : line.indexOf(' ')));
        }
      }
      return new Scrape(typed, samples);
    }

    Set<String> families(String prefix) {
      Set<String> out = new TreeSet<>(typed);
      out.removeIf(f -> !f.startsWith(prefix));
      return out;
    }

    /** Family and sample names: what a query or a document may name. */
    Set<String> names() {
      Set<String> out = new TreeSet<>(typed);
      out.addAll(samples);
      return out;
    }
  }
}
