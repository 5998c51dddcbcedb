package org.calvinseq.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.Txn;
import org.calvinseq.testkit.LocalCluster;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * /ready compares a node with what the leader has committed, not with its own commit index: a
 * follower that was cut off and is catching up (slowly, through a throttled link) answers 503
 * naming its applied index and the leader's commit index, then 200 once it is within the tolerance.
 */
class ReadyLagIT {
  private static final Logger LOG = LoggerFactory.getLogger(ReadyLagIT.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern LAG =
      Pattern.compile(
          "\\[-]applied_caught_up failed: applied index (\\d+) trails the leader's commit index"
              + " (\\d+) by (\\d+) entries \\(tolerance 5\\)");
  private static final int TXN_PAYLOAD = 200 * 1024;

  @Test
  void aFollowerBehindTheLeaderIsNotReadyUntilItCatchesUp() throws Exception {
    try (LocalCluster cluster =
        LocalCluster.builder()
            .nodes(3)
            .proxied(true)
            .adminEndpoints(true)
            .configure(b -> b.vshardCount(16).readyMaxLag(5))
            .build()
            .start()) {
      int leader = cluster.awaitLeader(Duration.ofSeconds(30));
      int f = (leader + 1) % 3;
      for (int i = 0; i < 3; i++) {
        cluster.client().propose(batch(i)).join();
      }
      int port = cluster.node(f).adminPort();
      LocalCluster.await(
          Duration.ofSeconds(30), () -> ready(port).status() == 200, "the follower to be ready");

      // Cut the follower off and commit ~24 MiB without it: 40 entries of 600 KiB.
      cluster.isolate(f);
      for (int i = 3; i < 43; i++) {
        cluster.client().propose(batch(i)).join();
      }
      long committed = cluster.node(leader).status().commitIndex();
      // It comes back through a link of 1 MiB/s, so catching up takes about 24 s.
      cluster.proxy(f).throttle(1024 * 1024);
      cluster.heal();

      AtomicReference<String> seen = new AtomicReference<>("");
      LocalCluster.await(
          Duration.ofSeconds(90),
          () -> {
            Http.Response r = ready(port);
            seen.set(r.status() + " " + r.body());
            return r.status() == 503
                && r.body().contains("[+]has_leader ok")
                && LAG.matcher(r.body()).find();
          },
          "the follower to know a leader and report that it trails the leader's commit index",
          () -> "; last /ready: " + seen.get());
      long behindAt = System.nanoTime();
      LOG.info("follower {} behind the leader: {}", cluster.nodeId(f), seen.get());
      Matcher m = LAG.matcher(seen.get());
      assertThat(m.find()).isTrue();
      long applied = Long.parseLong(m.group(1));
      long leaderCommit = Long.parseLong(m.group(2));
      assertThat(leaderCommit - applied).isGreaterThan(5).isEqualTo(Long.parseLong(m.group(3)));
      assertThat(leaderCommit)
          .as("the leader's commit index, learned while the follower's own log is behind")
          .isGreaterThanOrEqualTo(committed);
      assertThat(seen.get()).startsWith("503 ");

      JsonNode status = JSON.readTree(Http.get(port, "/status").body());
      assertThat(status.path("leaderCommitIndex").asLong()).isGreaterThanOrEqualTo(leaderCommit);
      assertThat(status.path("readyMaxLag").asLong()).isEqualTo(5);
      assertThat(status.has("lagBehindLeader")).isTrue();
      String metrics = Http.get(port, "/metrics").body();
      assertThat(gauge(metrics, "sequencer_raft_leader_commit_index"))
          .isGreaterThanOrEqualTo(leaderCommit);

      LocalCluster.await(
          Duration.ofSeconds(120),
          () -> ready(port).status() == 200,
          "the follower to catch up and be ready again",
          () -> "; last /ready: " + ready(port));
      LOG.info(
          "follower {} ready again {} ms later",
          cluster.nodeId(f),
          (System.nanoTime() - behindAt) / 1_000_000);
      JsonNode after = JSON.readTree(Http.get(port, "/status").body());
      assertThat(after.path("lastAppliedIndex").asLong()).isGreaterThanOrEqualTo(committed);
      assertThat(after.path("lagBehindLeader").asLong()).isBetween(0L, 5L);
      assertThat(after.path("logFailure").isNull()).isTrue();
    }
  }

  private static EpochBatch batch(int n) {
    List<Txn> txns = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      txns.add(
          new Txn(
              new ClientTxnId(99, n * 3L + i),
              7,
              List.of(Key.of("c" + i, "r" + n)),
              List.of(Key.of("c" + i, "w" + n)),
              new byte[TXN_PAYLOAD]));
    }
    return EpochBatch.auto(System.currentTimeMillis(), txns);
  }

  private static Http.Response ready(int port) {
    try {
      return Http.get(port, "/ready");
    } catch (Exception e) {
      return new Http.Response(-1, e.toString(), "");
    }
  }

  private static double gauge(String metrics, String name) {
    return metrics
        .lines()
        .filter(l -> l.startsWith(name + " "))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.indexOf(' ') + 1)))
        .findFirst()
        .orElseThrow(() -> new AssertionError(name + " not in the scrape"));
  }
}
