package org.calvinseq.it.fault;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.core.protocol.NodeStatus;
import org.calvinseq.it.engine.DeliveryListener;
import org.calvinseq.it.engine.KvEngine;
import org.calvinseq.it.engine.KvEngineMain;
import org.calvinseq.it.fault.History.EngineReplica;
import org.calvinseq.it.fault.History.NodeLog;
import org.calvinseq.server.SequencerNode;
import org.calvinseq.server.SequencerNodeBuilder;
import org.calvinseq.testkit.LocalCluster;
import org.calvinseq.testkit.ProcessCommand;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fixture of every fault test: a three-node cluster with a {@link KvEngine} replica on each
 * node (in this JVM, or inside each node's process), a steady {@link LoadGenerator}, and a {@link
 * LogTailer}. A test starts it, injects its fault, and calls {@link #finish()}, which ends the
 * load, repairs the cluster (heals the network, starts stopped nodes), seals the run with a marker
 * txn, waits for every node and engine to reach it, gathers the {@link History} and hands it to the
 * {@link HistoryChecker}, which must find nothing.
 *
 * <p>Process mode runs {@code KvEngineMain} on the distribution's jars ({@code
 * sequencer-cli/target/dist/lib}) plus this module's classes; each process's output goes to {@code
 * target/fault-logs/<test>/<node>.log}.
 */
final class FaultRun implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FaultRun.class);
  static final int VSHARDS = 4;
  static final Duration SETTLE = Duration.ofSeconds(120);
  private static final Path DIST = Path.of("..", "sequencer-cli", "target", "dist");
  private static final long MARKER_CLIENT = 999;

  /** Separate clients of the load, each with its own thread and client id. */
  static final int LOAD_CLIENTS = 8;

  private final String name;
  private final boolean processes;
  private final LocalCluster cluster;
  private final KvEngine[] engines;
  private final HistoryRecorder recorder = new HistoryRecorder();
  private final int checkpointEvery;
  private final boolean recordConsumers;
  private final LoadGenerator load;
  private final LogTailer tailer;
  private long finalEpoch = -1;

  private FaultRun(Builder b) throws IOException {
    this.name = b.name;
    this.processes = b.processes;
    this.checkpointEvery = b.checkpointEvery;
    this.recordConsumers = b.recordConsumers;
    this.engines = new KvEngine[3];
    Path logs = Path.of("target", "fault-logs", name).toAbsolutePath();
    deleteLogs(logs);
    LocalCluster.Builder cb =
        LocalCluster.builder().nodes(3).proxied(b.proxied).logDir(logs).adminEndpoints(true);
    if (b.root != null) {
      cb.root(b.root);
    }
    if (processes) {
      cb.processes(engineProcess(b.args)).startTimeout(Duration.ofSeconds(120));
      if (b.restartOnExit != null) {
        cb.restartOnExit(b.restartOnExit);
      }
    } else {
      cb.configure(
              nb -> {
                nb.vshardCount(VSHARDS);
                b.node.accept(nb);
              })
          .lifecycle(
              new LocalCluster.NodeLifecycle() {
                @Override
                public void started(int index, SequencerNode node) {
                  startEngine(index, node);
                }

                @Override
                public void stopping(int index, SequencerNode node, boolean killed) {
                  KvEngine e = engines[index];
                  engines[index] = null;
                  if (e != null) {
                    if (killed) {
                      e.crash();
                    } else {
                      e.close();
                    }
                  }
                }
              });
    }
    this.cluster = cb.build();
    this.load =
        new LoadGenerator(
            () ->
                b.loadClock == null
                    ? cluster.clientSettings().build()
                    : cluster.clientSettings().clock(b.loadClock).build(),
            LOAD_CLIENTS,
            b.rate,
            400);
    this.tailer = new LogTailer(cluster, VSHARDS);
  }

  static Builder inProcess(String name) {
    return new Builder(name, false);
  }

  static Builder processes(String name) {
    return new Builder(name, true);
  }

  private static ProcessCommand engineProcess(List<String> args) {
    Path lib = DIST.resolve("lib").toAbsolutePath().normalize();
    if (!Files.isDirectory(lib)) {
      throw new IllegalStateException(
          lib + " is missing: build the distribution first (mvn -B -q package -DskipTests)");
    }
    String classpath =
        lib + "/*" + java.io.File.pathSeparator + Path.of("target", "classes").toAbsolutePath();
    List<String> jvm =
        List.of(
            "-Xmx256m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-Dlogback.configurationFile=org/calvinseq/it/engine/logback-engine.xml");
    List<String> all = new ArrayList<>(List.of("--vshards", Integer.toString(VSHARDS)));
    all.addAll(args);
    return ProcessCommand.javaMain(
        KvEngineMain.class.getName(), classpath, jvm, all.toArray(String[]::new));
  }

  private void startEngine(int index, SequencerNode node) {
    Path data = node.config().dataDir();
    List<Path> peers = new ArrayList<>();
    for (var p : node.config().peers()) {
      if (!p.getId().toString().equals(node.nodeId())) {
        peers.add(KvEngineMain.engineDir(data, p.getId().toString()));
      }
    }
    try {
      engines[index] =
          KvEngine.builder()
              .node(node)
              .dir(KvEngineMain.engineDir(data, node.nodeId()))
              .peerDirs(peers)
              .checkpointEvery(checkpointEvery)
              .listener(recordConsumers ? recorder : DeliveryListener.NONE)
              .build()
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts the cluster, waits for a leader, and starts the tailer and the load. */
  FaultRun start() throws IOException {
    cluster.start();
    cluster.awaitLeader(Duration.ofSeconds(60));
    tailer.start();
    load.start();
    return this;
  }

  LocalCluster cluster() {
    return cluster;
  }

  LoadGenerator load() {
    return load;
  }

  /** The engine of in-JVM node {@code i} (null while the node is stopped). */
  KvEngine engine(int i) {
    return engines[i];
  }

  /** Waits until the client has had {@code more} further submissions acknowledged. */
  void awaitAcknowledged(int more, Duration timeout) {
    int target = load.acknowledgedCount() + more;
    LocalCluster.await(
        timeout,
        () -> load.acknowledgedCount() >= target,
        more + " more acknowledged submissions (" + load.acknowledgedCount() + " so far)");
  }

  /** The leader among the nodes other than {@code excluded}, waiting for one. */
  int awaitLeaderOtherThan(int excluded, Duration timeout) throws IOException {
    BooleanSupplier elected = () -> leaderOtherThan(excluded) >= 0;
    String what = "a leader other than " + cluster.nodeId(excluded);
    LocalCluster.await(timeout, elected, what, cluster::describe);
    int l = leaderOtherThan(excluded);
    if (l < 0) {
      throw new AssertionError("the leader went away again");
    }
    return l;
  }

  private int leaderOtherThan(int excluded) {
    for (int i = 0; i < cluster.size(); i++) {
      NodeStatus s = i == excluded ? null : cluster.status(i);
      if (s != null && "LEADER".equals(s.role())) {
        return i;
      }
    }
    return -1;
  }

  /**
   * Waits until node {@code i} has applied everything it knows to be committed and its commit index
   * has not moved for a second (requests that were already on their way when it was cut off are
   * handled by then), and returns its status: what a node cut off from its peers stays at.
   */
  static NodeStatus awaitQuiet(LocalCluster cluster, int i) {
    long[] last = {Long.MIN_VALUE, 0};
    LocalCluster.await(
        Duration.ofSeconds(30),
        () -> {
          NodeStatus s = cluster.status(i);
          if (s == null || s.lastAppliedIndex() < s.commitIndex()) {
            return false;
          }
          if (s.commitIndex() != last[0]) {
            last[0] = s.commitIndex();
            last[1] = System.nanoTime();
            return false;
          }
          return System.nanoTime() - last[1] > 1_000_000_000L;
        },
        cluster.nodeId(i) + " to apply everything it knows is committed");
    return cluster.status(i);
  }

  /**
   * Ends the run: stops the load, repairs the cluster, seals it with a marker txn, waits for every
   * node and engine, and checks the whole history. Returns the history for further assertions.
   */
  History finish() throws IOException {
    load.stop(Duration.ofSeconds(90));
    if (cluster.proxied()) {
      cluster.heal();
    }
    cluster.startStopped();
    cluster.awaitLeader(Duration.ofSeconds(60));
    Map<ClientTxnId, TxnId> acknowledged = new HashMap<>(load.acknowledged());
    Txn marker = LoadGenerator.txn(MARKER_CLIENT, 0);
    BatchReceipt r = proposeMarker(marker);
    finalEpoch = r.epoch();
    acknowledged.put(marker.clientTxnId(), new TxnId(r.epoch(), 0));
    try {
      cluster.awaitApplied(finalEpoch, SETTLE);
      awaitEngines(finalEpoch);
    } catch (AssertionError stuck) {
      throw new AssertionError(stuck.getMessage() + lastProblems(), stuck);
    }
    TxnId done =
        cluster
            .client()
            .awaitCompletion(new TxnId(finalEpoch, 0), marker, Duration.ofSeconds(60))
            .join();
    assertThat(done).as("the marker txn completed: every participant acked it").isNotNull();

    List<NodeLog> logs = new ArrayList<>();
    logs.add(tailer.finish(finalEpoch, Duration.ofSeconds(60)));
    for (int i = 0; i < cluster.size(); i++) {
      NodeStatus s = cluster.status(i);
      assertThat(s).as("status of %s", cluster.nodeId(i)).isNotNull();
      long first = Math.max(0, s.firstReplayableEpoch());
      logs.add(NodeLogs.read(cluster, i, VSHARDS, first, finalEpoch));
    }
    History h =
        new History(
            finalEpoch, acknowledged, logs, processes ? List.of() : recorder.streams(), replicas());
    List<String> violations = HistoryChecker.check(h);
    LOG.info(
        "{}: final epoch {}, {} acknowledged of {} submitted ({} failed), {} violations",
        name,
        finalEpoch,
        acknowledged.size(),
        load.submitted(),
        load.failed(),
        violations.size());
    assertThat(violations).as("history violations of " + name).isEmpty();
    assertThat(load.acknowledgedCount()).as("acknowledged submissions").isPositive();
    return h;
  }

  /**
   * The newest warning or error of each node's log, on one line, so that a CI report that shows
   * only a failure's first line still says what the nodes last complained about.
   */
  private String lastProblems() {
    StringBuilder b = new StringBuilder(" last warnings:");
    for (int i = 0; i < cluster.size(); i++) {
      String last = "none";
      Path file = cluster.logFile(i);
      if (Files.exists(file)) {
        try (Stream<String> lines = Files.lines(file, StandardCharsets.UTF_8)) {
          last =
              lines
                  .filter(l -> l.contains(" WARN ") || l.contains(" ERROR "))
                  .reduce((a, c) -> c)
                  .map(l -> l.length() > 240 ? l.substring(0, 240) + "..." : l)
                  .orElse("none");
        } catch (IOException | UncheckedIOException e) {
          last = "unreadable: " + e;
        }
      }
      b.append(" {").append(cluster.nodeId(i)).append(": ").append(last).append('}');
    }
    return b.toString();
  }

  private BatchReceipt proposeMarker(Txn marker) {
    long deadline = System.nanoTime() + SETTLE.toNanos();
    while (true) {
      try {
        return cluster
            .client()
            .propose(EpochBatch.auto(System.currentTimeMillis(), List.of(marker)))
            .join();
      } catch (RuntimeException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        LOG.info("marker proposal failed, again: {}", e.toString());
      }
    }
  }

  private void awaitEngines(long epoch) {
    LocalCluster.await(
        SETTLE,
        () -> {
          for (EngineReplica r : replicas()) {
            if (r.throughEpoch() < epoch) {
              return false;
            }
          }
          return true;
        },
        "every engine replica to apply through epoch " + epoch);
  }

  /** Where each engine replica stands now. */
  List<EngineReplica> replicas() {
    List<EngineReplica> out = new ArrayList<>();
    for (int i = 0; i < cluster.size(); i++) {
      if (processes) {
        String text;
        try {
          text = cluster.scrape(i);
        } catch (IOException | RuntimeException e) {
          out.add(new EngineReplica(cluster.nodeId(i), -2, 0, 0));
          continue;
        }
        out.add(
            new EngineReplica(
                cluster.nodeId(i),
                (long) metric(text, "kv_engine_through_epoch"),
                (long) metric(text, "kv_engine_digest"),
                (long) metric(text, "kv_engine_order_violations_total")));
      } else {
        KvEngine e = engines[i];
        if (e == null) {
          out.add(new EngineReplica(cluster.nodeId(i), -2, 0, 0));
          continue;
        }
        assertThat(e.failures()).as("failed schedulers on %s", cluster.nodeId(i)).isEmpty();
        out.add(
            new EngineReplica(
                cluster.nodeId(i),
                e.throughEpoch(),
                e.digest() & 0xFFFF_FFFF_FFFFL,
                e.orderViolations()));
      }
    }
    return out;
  }

  /** The value of {@code name} (summed over its samples) in a scrape; fails when it is absent. */
  static double metric(String scrape, String name) {
    double v = Scrapes.sum(scrape, name);
    if (Double.isNaN(v)) {
      throw new AssertionError("no metric " + name + " in the scrape");
    }
    return v;
  }

  @Override
  public void close() throws IOException {
    load.close();
    tailer.close();
    cluster.close();
  }

  private static void deleteLogs(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      try (var s = Files.list(dir)) {
        for (Path p : s.toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /** Fixture settings. */
  static final class Builder {
    private final String name;
    private final boolean processes;
    private boolean proxied;
    private int rate = 200;
    private int checkpointEvery = 500;
    private boolean recordConsumers = true;
    private Path root;
    private Consumer<SequencerNodeBuilder> node = b -> {};
    private List<String> args = List.of();
    private Integer restartOnExit;
    private java.time.InstantSource loadClock;

    private Builder(String name, boolean processes) {
      this.name = name;
      this.processes = processes;
    }

    Builder proxied(boolean on) {
      this.proxied = on;
      return this;
    }

    /** Submissions per second of the steady load; default 200. */
    Builder rate(int txnsPerSecond) {
      this.rate = txnsPerSecond;
      return this;
    }

    Builder checkpointEvery(int txns) {
      this.checkpointEvery = txns;
      return this;
    }

    /** Whether to record every txn each in-JVM consumer applies (default on; costs memory). */
    Builder recordConsumers(boolean on) {
      this.recordConsumers = on;
      return this;
    }

    /** Where the node directories go (default a temp directory deleted with the cluster). */
    Builder root(Path dir) {
      this.root = dir;
      return this;
    }

    /** Node settings in this JVM. */
    Builder node(Consumer<SequencerNodeBuilder> c) {
      this.node = c;
      return this;
    }

    /**
     * The clock the load's batches take their proposer time from (and so the epochs their {@code
     * epochSystemMs}); default the system clock.
     */
    Builder loadClock(java.time.InstantSource clock) {
      this.loadClock = clock;
      return this;
    }

    /** Processes: start an engine process again when it exits with {@code status}. */
    Builder restartOnExit(int status) {
      this.restartOnExit = status;
      return this;
    }

    /** Extra flags of each engine process. */
    Builder args(String... flags) {
      this.args = List.of(flags);
      return this;
    }

    FaultRun start() throws IOException {
      FaultRun r = new FaultRun(this);
      try {
        return r.start();
      } catch (IOException | RuntimeException | Error e) {
        r.close();
        throw e;
      }
    }
  }
}
