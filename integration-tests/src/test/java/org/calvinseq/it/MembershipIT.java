package org.calvinseq.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.calvinseq.cli.SequencerCli;
import org.calvinseq.client.ClusterAdmin;
import org.calvinseq.client.Peers;
import org.calvinseq.client.SequencerClient;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.server.SequencerNode;
import org.calvinseq.testkit.FreePorts;
import org.calvinseq.testkit.LocalCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Membership changes on a running cluster under a steady proposal load: grow 3 to 5 and shrink back
 * to 3 (removing the leader on the way), replace a dead member, move leadership. Afterwards every
 * member has contiguous epochs and identical streams, and every successful proposal is sequenced
 * exactly once.
 */
class MembershipIT {
  private static final int VSHARDS = 8;
  private static final int TXNS = 2;
  private static final Duration WAIT = Duration.ofSeconds(60);

  private Path root;
  private final Map<String, RaftPeer> peers = new LinkedHashMap<>();
  private final Map<String, SequencerNode> running = new LinkedHashMap<>();

  @BeforeEach
  void setUp() throws IOException {
    root = Files.createTempDirectory("calvinseq-membership-");
    int[] ports = FreePorts.pick("127.0.0.1", 5); // five distinct ports, picked together
    for (int i = 1; i <= 5; i++) {
      String id = "n" + i;
      peers.put(
          id,
          RaftPeer.newBuilder()
              .setId(RaftPeerId.valueOf(id))
              .setAddress("127.0.0.1:" + ports[i - 1])
              .build());
    }
  }

  @AfterEach
  void tearDown() throws IOException {
    for (String id : new ArrayList<>(running.keySet())) {
      stop(id);
    }
    try (Stream<Path> s = Files.walk(root)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Test
  void growToFiveAndShrinkToThreeUnderLoad() throws Exception {
    for (String id : List.of("n1", "n2", "n3")) {
      start(id, List.of("n1", "n2", "n3"), false);
    }
    awaitLeader(List.of("n1", "n2", "n3"));
    try (Load load = new Load(all());
        ClusterAdmin admin = admin("n1", "n2", "n3")) {
      load.start();
      load.awaitSuccesses(20);

      start("n4", List.of("n1", "n2", "n3", "n4"), true);
      ClusterAdmin.Membership m = admin.addNode(peers.get("n4"));
      assertThat(ids(m)).containsExactlyInAnyOrder("n1", "n2", "n3", "n4");
      load.awaitSuccesses(load.successes() + 20);

      start("n5", List.of("n1", "n2", "n3", "n4", "n5"), true);
      m = admin.addNode(peers.get("n5"));
      assertThat(ids(m)).containsExactlyInAnyOrder("n1", "n2", "n3", "n4", "n5");
      assertThat(admin.addNode(peers.get("n5")).members())
          .as("adding again changes nothing")
          .hasSize(5);
      load.awaitSuccesses(load.successes() + 20);

      // Move leadership to a new member, then remove the leader and an original member.
      m = admin.transferLeader(RaftPeerId.valueOf("n4"));
      assertThat(m.leader().toString()).isEqualTo("n4");
      assertThat(running.get("n4").status().role()).isEqualTo("LEADER");
      load.awaitSuccesses(load.successes() + 20);

      m = admin.removeNode(RaftPeerId.valueOf("n4"));
      assertThat(ids(m)).containsExactlyInAnyOrder("n1", "n2", "n3", "n5");
      stop("n4");
      load.awaitSuccesses(load.successes() + 20);
      m = admin.removeNode(RaftPeerId.valueOf("n1"));
      assertThat(ids(m)).containsExactlyInAnyOrder("n2", "n3", "n5");
      stop("n1");
      load.awaitSuccesses(load.successes() + 20);
      load.stopAndJoin();

      checkHistory(load, List.of("n2", "n3", "n5"));
    }
  }

  @Test
  void replaceADeadMemberThroughTheCli() throws Exception {
    for (String id : List.of("n1", "n2", "n3")) {
      start(id, List.of("n1", "n2", "n3"), false);
    }
    awaitLeader(List.of("n1", "n2", "n3"));
    try (Load load = new Load(all())) {
      load.start();
      load.awaitSuccesses(20);

      // Adding a node that does not run fails within the timeout and changes nothing.
      long t0 = System.nanoTime();
      CliRun failed =
          run(
              "admin",
              "add-node",
              "--peers",
              peersOf("n1", "n2", "n3"),
              "--timeout",
              "4s",
              "--node",
              Peers.format(List.of(peers.get("n5"))));
      assertThat(failed.code()).as(failed.err()).isEqualTo(1);
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(30));
      try (ClusterAdmin admin = admin("n1")) {
        LocalCluster.await(
            WAIT,
            () -> {
              try {
                return ids(admin.membership()).equals(List.of("n1", "n2", "n3"));
              } catch (IOException e) {
                return false;
              }
            },
            "the membership to stay n1, n2, n3");
      }
      load.awaitSuccesses(load.successes() + 20);

      stop("n3"); // dead: its machine is gone
      load.awaitSuccesses(load.successes() + 20);

      start("n4", List.of("n1", "n2", "n4"), true);
      String out =
          cli(
              "admin",
              "replace-node",
              "--peers",
              peersOf("n1", "n2", "n3"),
              "--timeout",
              "60s",
              "--old",
              "n3",
              "--node",
              Peers.format(List.of(peers.get("n4"))));
      assertThat(out).contains("members: ").contains("n4@").doesNotContain("n3@");
      load.awaitSuccesses(load.successes() + 20);

      // The other commands, through the command line too.
      out = cli("admin", "transfer-leader", "--peers", peersOf("n1", "n2", "n4"), "--node", "n4");
      assertThat(out).contains("leader: n4");
      assertThat(running.get("n4").status().role()).isEqualTo("LEADER");
      out = cli("admin", "snapshot", "--peers", peersOf("n1"), "--node", "n2");
      assertThat(out).containsPattern("snapshot: n2 at log index \\d+");
      load.awaitSuccesses(load.successes() + 20);
      load.stopAndJoin();

      checkHistory(load, List.of("n1", "n2", "n4"));
    }
  }

  // ---- checks ----

  private void checkHistory(Load load, List<String> members) throws Exception {
    BatchReceipt after;
    try (SequencerClient c =
        SequencerClient.builder().peers(peersOf(members.toArray(String[]::new))).build()) {
      after = c.propose(TestTxns.batch(new Random(1), 1, 16, 999_999, 0)).get(30, TimeUnit.SECONDS);
    }
    assertThat(after.sequenced()).isTrue();
    long last = after.epoch();
    LocalCluster.await(
        WAIT,
        () -> members.stream().allMatch(id -> running.get(id).currentCommittedEpoch() >= last),
        "every member to apply epoch " + last);

    List<Long> epochs = load.succeeded.values().stream().map(BatchReceipt::epoch).toList();
    assertThat(epochs).as("no epoch assigned twice").doesNotHaveDuplicates();
    List<List<SequencedTxn>> reference = null;
    for (String id : members) {
      SequencerNode n = running.get(id);
      ClusterChecks.assertContiguousEpochs(n, last);
      List<List<SequencedTxn>> s = ClusterChecks.streams(n, VSHARDS, 0, last);
      if (reference == null) {
        reference = s;
      } else {
        assertThat(s).as("streams of %s", id).isEqualTo(reference);
      }
    }
    Map<ClientTxnId, TxnId> placed = ClusterChecks.placements(reference);
    assertThat(load.succeeded).hasSizeGreaterThan(50);
    for (Map.Entry<Long, BatchReceipt> e : load.succeeded.entrySet()) {
      for (int p = 0; p < TXNS; p++) {
        assertThat(placed.get(new ClientTxnId(e.getKey(), p)))
            .as("successful batch %d txn %d", e.getKey(), p)
            .isEqualTo(new TxnId(e.getValue().epoch(), p));
      }
    }
  }

  /** A thread proposing small batches, a few at a time, until stopped. */
  private static final class Load implements AutoCloseable {
    final Map<Long, BatchReceipt> succeeded = new ConcurrentHashMap<>();
    private final SequencerClient client;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Semaphore window = new Semaphore(4);
    private final Thread thread;

    Load(String peers) {
      client = SequencerClient.builder().peers(peers).callTimeout(Duration.ofSeconds(20)).build();
      thread = new Thread(this::run, "membership-load");
      thread.setDaemon(true);
    }

    void start() {
      thread.start();
    }

    int successes() {
      return succeeded.size();
    }

    void awaitSuccesses(int n) {
      LocalCluster.await(WAIT, () -> succeeded.size() >= n, n + " successful proposals");
    }

    private void run() {
      Random rnd = new Random(11);
      for (long batch = 0; !stop.get(); batch++) {
        try {
          window.acquire();
        } catch (InterruptedException e) {
          return;
        }
        long no = batch;
        client
            .propose(TestTxns.batch(rnd, TXNS, 16, no, 0))
            .whenComplete(
                (r, t) -> {
                  window.release();
                  if (t == null && r.sequenced()) {
                    succeeded.put(no, r);
                  }
                });
        try {
          Thread.sleep(5);
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    void stopAndJoin() throws InterruptedException {
      stop.set(true);
      thread.join(10_000);
      window.acquire(4); // every proposal has ended
      window.release(4);
    }

    @Override
    public void close() throws IOException {
      stop.set(true);
      client.close();
    }
  }

  // ---- nodes ----

  private void start(String id, List<String> members, boolean join) throws IOException {
    SequencerNode n =
        SequencerNode.builder()
            .nodeId(id)
            .peers(members.stream().map(peers::get).toList())
            .dataDir(root.resolve(id))
            .vshardCount(VSHARDS)
            .join(join)
            .build();
    n.start();
    running.put(id, n);
  }

  private void stop(String id) throws IOException {
    SequencerNode n = running.remove(id);
    if (n != null) {
      n.close();
    }
  }

  private void awaitLeader(List<String> ids) {
    LocalCluster.await(
        WAIT,
        () -> ids.stream().anyMatch(id -> "LEADER".equals(running.get(id).status().role())),
        "a leader");
  }

  private ClusterAdmin admin(String... ids) {
    return ClusterAdmin.create(SequencerClient.builder().peers(peersOf(ids)).callTimeout(WAIT));
  }

  private String all() {
    return Peers.format(new ArrayList<>(peers.values()));
  }

  private String peersOf(String... ids) {
    return Peers.format(Stream.of(ids).map(peers::get).toList());
  }

  private static List<String> ids(ClusterAdmin.Membership m) {
    return m.members().stream().map(p -> p.getId().toString()).toList();
  }

  private record CliRun(int code, String out, String err) {}

  private static CliRun run(String... args) {
    CommandLine cl = SequencerCli.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new CliRun(code, out.toString(), err.toString());
  }

  private static String cli(String... args) {
    CliRun r = run(args);
    assertThat(r.code()).as("sequencer %s: %s", String.join(" ", args), r.err()).isZero();
    return r.out();
  }
}
