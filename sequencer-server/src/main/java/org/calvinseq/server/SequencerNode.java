package org.calvinseq.server;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.calvinseq.client.Peers;
import org.calvinseq.client.SequencerClient;
import org.calvinseq.core.apply.ApplyListener;
import org.calvinseq.core.apply.EpochStateMachine;
import org.calvinseq.core.codec.ProposalLimits;
import org.calvinseq.core.concurrent.DaemonThreads;
import org.calvinseq.core.metrics.SequencerCounters;
import org.calvinseq.core.model.CompletionAck;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.core.protocol.NodeStatus;
import org.calvinseq.core.queue.VShardConsumer;
import org.calvinseq.core.routing.CollectionHashRouter;
import org.calvinseq.server.admin.AdminServer;
import org.calvinseq.server.admin.CheckResult;
import org.calvinseq.server.admin.NodeReadiness;
import org.calvinseq.server.admin.ReadinessCheck;
import org.calvinseq.server.events.EventLog;
import org.calvinseq.server.events.EventLogConfig;
import org.calvinseq.server.events.NodeEventListener;
import org.calvinseq.server.ratis.PeerProxyRepair;
import org.calvinseq.server.ratis.SequencerStateMachine;
import org.calvinseq.server.ratis.ServerMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One member of a sequencer cluster, embeddable in a storage engine: a Ratis server with the
 * sequencer state machine, the per-vshard queues the engine consumes, replay, acks and metrics.
 *
 * <pre>{@code
 * try (SequencerNode node = SequencerNode.builder()
 *     .nodeId("n1").peers("n1@10.0.0.1:7001,n2@10.0.0.2:7001,n3@10.0.0.3:7001")
 *     .dataDir(Path.of("/var/lib/calvinseq")).build()) {
 *   node.start();
 *   VShardConsumer c = node.subscribe(17, engine.processedThroughEpoch(17));
 *   ...
 * }
 * }</pre>
 */
public final class SequencerNode implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SequencerNode.class);
  private static final String CLUSTER_FILE = "calvinseq-cluster.properties";

  private final NodeConfig config;
  private final MeterRegistry registry;
  private final ServerMetrics metrics;
  private final EpochStateMachine core;
  private final SequencerStateMachine stateMachine;
  private final ExecutorService queryExecutor;
  private final ExecutorService notifier;
  private final ScheduledExecutorService timer;
  private final AckBatcher acks;
  private final EventLog events; // null when the event log is off
  private final boolean join;
  private final org.calvinseq.client.TlsFiles tls; // null: plaintext
  private RaftServer server;
  private volatile AdminServer admin; // read by adminPort() while start() runs
  private SequencerClient client;
  private volatile boolean started; // the Raft server has started: the log is loaded
  private volatile boolean closed;
  private Runnable beforeRaftStart = () -> {}; // a test hook, see beforeRaftStartForTest

  /** Completes with the reason once a write of the Raft log has failed. */
  private final CompletableFuture<String> logFailure = new CompletableFuture<>();

  private SequencerNode(
      NodeConfig config,
      MeterRegistry registry,
      EventLogConfig eventLog,
      boolean join,
      org.calvinseq.client.TlsFiles tls) {
    this.config = config;
    this.join = join;
    this.tls = tls;
    this.registry = registry;
    this.metrics = new ServerMetrics(registry, config.nodeId());
    this.events =
        eventLog == null
            ? null
            : new EventLog(
                eventLog.resolveAgainst(config.dataDir()),
                config.nodeId(),
                ServerMetrics.VERSION,
                registry,
                java.time.InstantSource.system());
    this.queryExecutor =
        Executors.newFixedThreadPool(2, DaemonThreads.factory("replay-" + config.nodeId()));
    this.notifier =
        Executors.newSingleThreadExecutor(DaemonThreads.factory("completions-" + config.nodeId()));
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            DaemonThreads.factory("acks-" + config.nodeId()));
    this.core =
        EpochStateMachine.builder()
            .router(new CollectionHashRouter(config.vshardCount()))
            .hosted(config.hosted())
            .queueCapacity(config.queueCapacity())
            .epochRetention(Math.max(1, config.replayRetention() + config.snapshotEvery() * 2))
            .completionRetentionMs(config.completionRetention().toMillis())
            .completionMaxEntries(config.completionMaxEntries())
            .notifier(notifier)
            .metrics(metrics.core())
            .listener(events != null ? events : ApplyListener.NONE)
            .build();
    this.stateMachine =
        new SequencerStateMachine(
            core,
            config.limits(),
            metrics,
            queryExecutor,
            events != null ? events : NodeEventListener.NONE);
    metrics.bindRaft(registry, stateMachine::status);
    metrics.bindReadiness(registry, stateMachine::leaderCommitIndex, logFailure::isDone);
    stateMachine.onLogFailed(this::logFailed);
    this.acks = new AckBatcher(timer, b -> client().proposeAcks(b), 1000, 4096);
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts the admin endpoint, then the Raft server (recovering from the data directory, which
   * reads and checksums every log segment: seconds to tens of seconds with a large log). While the
   * Raft server starts, the endpoint already answers: {@code /health} 200, {@code /ready} 503 with
   * {@code [-]started failed: starting: loading log}, {@code /status} with {@code
   * "state":"starting"}, and {@code /metrics}. A start that fails part way (the admin port is
   * taken, the log cannot be read, say) closes whatever it had started, so that no Raft member or
   * endpoint is left running unseen, and throws; the node cannot be started again.
   */
  public synchronized void start() throws IOException {
    if (closed) {
      throw new IllegalStateException("node " + config.nodeId() + " is closed");
    }
    if (started) {
      throw new IllegalStateException("already started");
    }
    try {
      startParts();
    } catch (IOException | RuntimeException e) {
      try {
        close();
      } catch (IOException | RuntimeException c) {
        e.addSuppressed(c);
      }
      throw e;
    }
  }

  private void startParts() throws IOException {
    Files.createDirectories(config.dataDir());
    checkClusterFile();
    if (events != null) {
      events.start();
    }
    if (config.adminPort() >= 0) {
      try {
        startAdmin();
      } catch (IOException e) {
        throw new IOException(
            "node "
                + config.nodeId()
                + " cannot serve its admin endpoint on "
                + config.adminHost()
                + ":"
                + config.adminPort()
                + ": "
                + e.getMessage(),
            e);
      }
    }
    RaftServer.Builder raft = RaftServer.newBuilder();
    if (tls != null) {
      raft.setParameters(tls.ratisParameters());
    }
    server =
        raft.setServerId(RaftPeerId.valueOf(config.nodeId()))
            .setGroup(
                join && !hasRaftStorage()
                    ? org.apache.ratis.protocol.RaftGroup.valueOf(
                        Peers.groupId(config.clusterName()))
                    : Peers.group(config.clusterName(), config.peers()))
            .setProperties(RatisSettings.of(config))
            .setStateMachine(stateMachine)
            .setOption(RaftStorage.StartupOption.RECOVER)
            .build();
    beforeRaftStart.run();
    server.start();
    started = true;
    PeerProxyRepair proxies = new PeerProxyRepair(server, Peers.groupId(config.clusterName()));
    timer.scheduleWithFixedDelay(
        () -> {
          try {
            metrics.peerProxiesRepaired(proxies.repair().size());
          } catch (RuntimeException e) {
            LOG.warn("checking the peer proxies failed", e);
          }
        },
        1,
        1,
        TimeUnit.SECONDS);
    LOG.info(
        "node {} started: raft {} data {}",
        config.nodeId(),
        config.self().getAddress(),
        config.dataDir());
  }

  /** Whether the data directory already holds this group's Raft storage (a restart). */
  private boolean hasRaftStorage() {
    return Files.isDirectory(
        config.dataDir().resolve(Peers.groupId(config.clusterName()).getUuid().toString()));
  }

  /**
   * Runs {@code hook} in {@link #start()} after the admin endpoint has started and just before the
   * Raft server starts (loads its log), so that tests can hold a start there. Package-private: not
   * part of the API.
   */
  void beforeRaftStartForTest(Runnable hook) {
    this.beforeRaftStart = hook;
  }

  /** The {@code started} check's reason in {@code /ready} while the Raft server starts. */
  static final String STARTING_REASON = "starting: loading log";

  /**
   * Fails once the next epoch is above the last one ({@code WireFormat.MAX_EPOCH}): every batch is
   * then skipped as out of range. Unreachable in practice (it takes more than 9.2 billion batches
   * naming the farthest epoch allowed), but a state written by an older version that let one batch
   * name 2^63-2 is in it, and such a node must not look ready.
   */
  static CheckResult epochsAvailable(long nextEpoch) {
    return nextEpoch <= org.calvinseq.core.codec.WireFormat.MAX_EPOCH
        ? CheckResult.pass()
        : CheckResult.fail(
            "next epoch "
                + nextEpoch
                + " is above the last epoch "
                + org.calvinseq.core.codec.WireFormat.MAX_EPOCH
                + ": every batch is skipped as out of range");
  }

  private void startAdmin() throws IOException {
    if (!(registry instanceof PrometheusMeterRegistry prometheus)) {
      throw new IllegalStateException(
          "the admin endpoint needs a PrometheusMeterRegistry; this node was given "
              + registry.getClass().getName());
    }
    admin =
        AdminServer.builder()
            .meterRegistry(prometheus)
            .host(config.adminHost())
            .port(config.adminPort())
            .allowedClients(config.adminAllowedClients())
            .statusSource(this::statusDocument)
            .readinessCheck(
                new ReadinessCheck(
                    "started",
                    () -> started ? CheckResult.pass() : CheckResult.fail(STARTING_REASON)))
            .readinessCheck(
                new ReadinessCheck(
                    "has_leader",
                    () ->
                        status().leaderId().isEmpty()
                            ? CheckResult.fail("no leader known")
                            : CheckResult.pass()))
            .readinessCheck(NodeReadiness.caughtUpCheck(this::progress, config.readyMaxLag()))
            .readinessCheck(NodeReadiness.logWritableCheck(() -> logFailure.getNow(null)))
            .readinessCheck(
                new ReadinessCheck("epochs_available", () -> epochsAvailable(core.nextEpoch())))
            .build()
            .start();
    LOG.info(
        "node {} admin endpoint on http://{}:{}",
        config.nodeId(),
        config.adminHost(),
        admin.port());
  }

  /** Where this node stands against the leader's commit index, for {@code /ready}. */
  private NodeReadiness.Progress progress() {
    NodeStatus s = status();
    return new NodeReadiness.Progress(
        s.lastAppliedIndex(), s.commitIndex(), stateMachine.leaderCommitIndex());
  }

  /**
   * Ratis's log worker failed to write (disk full, I/O error). Ratis then fails every later write
   * of this log, even once space is back, while the node stays a follower that the leader keeps
   * resending entries to: nothing but a restart helps. So the node reports it once at ERROR, fails
   * {@code log_writable} in {@code /ready}, closes its Raft server (the other members see it down)
   * and completes {@link #logFailure()}, on which {@code sequencer node} exits with status 3 for
   * its supervisor to restart it.
   */
  private void logFailed(Throwable cause, long index) {
    if (logFailure.isDone()) {
      return;
    }
    String reason = NodeReadiness.logFailureReason(cause, index);
    if (!logFailure.complete(reason)) {
      return;
    }
    LOG.error(
        "node {}: {}; closing its Raft server: restart the node once the disk is fixed",
        config.nodeId(),
        reason);
    // Not on the log worker thread: closing the server waits for that thread to end.
    DaemonThreads.start(
        "raft-close-" + config.nodeId(),
        () -> {
          RaftServer s = server;
          try {
            if (s != null) {
              s.close();
            }
          } catch (IOException | RuntimeException e) {
            LOG.warn("node {}: closing the Raft server failed: {}", config.nodeId(), e.toString());
          }
        });
  }

  /**
   * Completes with the reason once a write of this node's Raft log has failed (disk full, I/O
   * error). The node has then closed its Raft server: it no longer takes part in the cluster and
   * cannot recover in place (Ratis fails every later write of a log that failed once). Close it and
   * start a new node on the same data directory once the disk is fixed; {@code sequencer node}
   * exits with status 3 for its supervisor to do that.
   */
  public CompletableFuture<String> logFailure() {
    return logFailure.copy();
  }

  /** The {@code /status} document. */
  public Map<String, Object> statusDocument() {
    NodeStatus s = status();
    long leaderCommit = stateMachine.leaderCommitIndex();
    Map<String, Object> m = new LinkedHashMap<>();
    // The state machine learns its id only once the Raft server has started.
    m.put("nodeId", config.nodeId());
    m.put("state", started ? "running" : "starting");
    m.put("clusterName", config.clusterName());
    m.put("raftGroupId", Peers.groupId(config.clusterName()).getUuid().toString());
    m.put("role", s.role());
    m.put("leaderId", s.leaderId());
    m.put("term", s.term());
    m.put("lastAppliedEpoch", s.lastAppliedEpoch());
    m.put("lastAppliedIndex", s.lastAppliedIndex());
    m.put("commitIndex", s.commitIndex());
    m.put("leaderCommitIndex", leaderCommit);
    m.put(
        "lagBehindLeader",
        new NodeReadiness.Progress(s.lastAppliedIndex(), s.commitIndex(), leaderCommit).lag());
    m.put("readyMaxLag", config.readyMaxLag());
    m.put("logFailure", logFailure.getNow(null));
    m.put("nextEpoch", core.nextEpoch());
    m.put("firstReplayableEpoch", s.firstReplayableEpoch());
    m.put("vshardCount", s.vshardCount());
    m.put("vshardsBehind", core.subscriptions().behindCount());
    m.put("completionRetentionMs", config.completionRetention().toMillis());
    m.put("completionMaxEntries", config.completionMaxEntries());
    m.put("completionsEvictedThroughEpoch", core.completions().watermark().throughEpoch());
    m.put("raftAddress", config.self().getAddress());
    m.put("dataDir", config.dataDir().toString());
    m.put("version", ServerMetrics.VERSION);
    return m;
  }

  /** The admin endpoint's port, or -1 when it is off or not started. */
  public int adminPort() {
    AdminServer a = admin;
    return a == null ? -1 : a.port();
  }

  /** The vshard count is fixed for a cluster's life: refuse to start with another one. */
  private void checkClusterFile() throws IOException {
    Path f = config.dataDir().resolve(CLUSTER_FILE);
    Properties p = new Properties();
    if (Files.exists(f)) {
      try (InputStream in = Files.newInputStream(f)) {
        p.load(in);
      }
      String storedCluster = p.getProperty("clusterName", config.clusterName());
      if (!storedCluster.equals(config.clusterName())) {
        throw new IllegalStateException(
            "node "
                + config.nodeId()
                + " refuses to start: its data directory "
                + config.dataDir()
                + " belongs to cluster '"
                + storedCluster
                + "', but it was started with cluster name '"
                + config.clusterName()
                + "'");
      }
      int stored = Integer.parseInt(p.getProperty("vshardCount", "-1"));
      if (stored != config.vshardCount()) {
        throw new IllegalStateException(
            "node "
                + config.nodeId()
                + " refuses to start: its data directory "
                + config.dataDir()
                + " belongs to a cluster with vshardCount="
                + stored
                + ", but it was started with vshardCount="
                + config.vshardCount()
                + "; the vshard count is fixed for a cluster's life");
      }
      return;
    }
    p.setProperty("vshardCount", Integer.toString(config.vshardCount()));
    p.setProperty("clusterName", config.clusterName());
    Path tmp = f.resolveSibling(CLUSTER_FILE + ".tmp");
    try (OutputStream out = Files.newOutputStream(tmp)) {
      p.store(out, "calvinseq cluster identity; do not edit");
    }
    Files.move(tmp, f, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  public String nodeId() {
    return config.nodeId();
  }

  public NodeConfig config() {
    return config;
  }

  /**
   * Opens the queue of a hosted vshard for a consumer that has processed everything through {@code
   * processedThroughEpoch} (-1 for nothing). It first receives, through replay, what it missed,
   * then live deliveries: every txn of the vshard exactly once, in order.
   */
  public VShardConsumer subscribe(int vshard, long processedThroughEpoch) {
    return new VShardConsumer(
        core.subscriptions(),
        vshard,
        processedThroughEpoch,
        stateMachine.replayer(),
        metrics.core());
  }

  /** The txns of {@code vshard} in {@code [fromEpoch, toEpoch]} from this node's log. */
  public Iterator<SequencedTxn> replay(int vshard, long fromEpoch, long toEpoch) {
    return stateMachine.replayer().replay(vshard, fromEpoch, toEpoch);
  }

  /** The last epoch committed and applied on this node: the upper bound for a rebuild. */
  public long currentCommittedEpoch() {
    return core.currentCommittedEpoch();
  }

  /**
   * Reports that {@code vshard} executed its share of {@code txnId}, a txn with {@code
   * participants} participating vshards. Acks are batched into few log entries.
   */
  public CompletableFuture<BatchReceipt> ack(TxnId txnId, int vshard, int participants) {
    return acks.add(new CompletionAck(txnId, vshard, participants));
  }

  /** Completes when every participant of {@code txnId} has acked, as applied on this node. */
  public CompletableFuture<TxnId> awaitCompletion(TxnId txnId, Duration timeout) {
    CompletableFuture<TxnId> f = core.completions().await(txnId);
    return f.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete((r, t) -> core.completions().forget(txnId, f));
  }

  public NodeStatus status() {
    return stateMachine.status();
  }

  /**
   * The core's counters as typed values, read now: epochs applied, gaps, stale batches, decode
   * errors, txns sequenced, deliveries (live, replay), drops (full, closed, behind), acks and
   * completions. The same numbers as the {@code sequencer_*} meters; docs/metrics.md maps each
   * accessor to its meter.
   */
  public SequencerCounters counters() {
    return core.metrics().counters();
  }

  public MeterRegistry meterRegistry() {
    return registry;
  }

  /** The core state machine, for tests and tools that inspect the apply path. */
  public EpochStateMachine core() {
    return core;
  }

  /** A client of this node's cluster, created on first use and closed with the node. */
  public synchronized SequencerClient client() {
    if (client == null) {
      client =
          SequencerClient.builder()
              .peers(config.peers())
              .clusterName(config.clusterName())
              .tls(tls)
              .build();
    }
    return client;
  }

  public RaftServer raftServer() {
    return server;
  }

  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    IOException failure = null;
    if (admin != null) {
      admin.close();
    }
    try {
      if (client != null) {
        client.close();
      }
    } catch (IOException e) {
      failure = e;
    }
    try {
      if (server != null) {
        server.close();
      }
    } catch (IOException e) {
      failure = e;
    }
    timer.shutdownNow();
    queryExecutor.shutdownNow();
    notifier.shutdown();
    if (events != null) {
      events.close();
    }
    metrics.close();
    LOG.info("node {} closed", config.nodeId());
    if (failure != null) {
      throw failure;
    }
  }

  /** Node settings; see {@link NodeConfig} for each one's meaning and default. */
  public static final class Builder {
    private String nodeId;
    private List<RaftPeer> peers;
    private String clusterName = Peers.DEFAULT_CLUSTER;
    private Path dataDir;
    private String adminHost = "127.0.0.1";
    private int adminPort = -1;
    private List<String> adminAllowedClients = List.of();
    private int vshardCount = NodeConfig.defaultVshardCount();
    private BitSet hosted;
    private int queueCapacity = NodeConfig.DEFAULT_QUEUE_CAPACITY;
    private ProposalLimits limits = ProposalLimits.DEFAULTS;
    private long snapshotEvery = NodeConfig.DEFAULT_SNAPSHOT_EVERY;
    private long replayRetention = NodeConfig.DEFAULT_REPLAY_RETENTION;
    private long logSegmentBytes = NodeConfig.DEFAULT_LOG_SEGMENT_BYTES;
    private Duration electionMin = NodeConfig.DEFAULT_ELECTION_MIN;
    private Duration electionMax = NodeConfig.DEFAULT_ELECTION_MAX;
    private int raftBindPort = -1;
    private long readyMaxLag = NodeConfig.DEFAULT_READY_MAX_LAG;
    private Duration completionRetention = NodeConfig.DEFAULT_COMPLETION_RETENTION;
    private int completionMaxEntries = NodeConfig.DEFAULT_COMPLETION_MAX_ENTRIES;
    private MeterRegistry registry;
    private EventLogConfig eventLog;
    private boolean join;
    private org.calvinseq.client.TlsFiles tls;

    public Builder nodeId(String id) {
      this.nodeId = id;
      return this;
    }

    /** Peers as {@code id@host:port,...}. */
    public Builder peers(String peers) {
      this.peers = Peers.parse(peers);
      return this;
    }

    public Builder peers(List<RaftPeer> peers) {
      this.peers = List.copyOf(peers);
      return this;
    }

    public Builder clusterName(String name) {
      this.clusterName = name;
      return this;
    }

    public Builder dataDir(Path dir) {
      this.dataDir = dir;
      return this;
    }

    /**
     * The port the Raft server listens on when it is not the port of this node's peer address (a
     * proxy or NAT in between); default -1, that port.
     */
    public Builder raftBindPort(int port) {
      this.raftBindPort = port;
      return this;
    }

    /**
     * How many committed entries this node may trail the leader's commit index by and still answer
     * {@code /ready} with 200 (default {@value NodeConfig#DEFAULT_READY_MAX_LAG}).
     */
    public Builder readyMaxLag(long entries) {
      this.readyMaxLag = entries;
      return this;
    }

    /**
     * How long, in epoch time, a txn's completion-ack state is kept after its first ack (default 10
     * minutes). It decides what every replica evicts while applying the log, so all members must be
     * configured alike.
     */
    public Builder completionRetention(Duration retention) {
      this.completionRetention = retention;
      return this;
    }

    /**
     * The most txns whose completion-ack state is kept at once, oldest evicted first (default
     * {@value NodeConfig#DEFAULT_COMPLETION_MAX_ENTRIES}). Like {@link #completionRetention}, all
     * members must be configured alike.
     */
    public Builder completionMaxEntries(int n) {
      this.completionMaxEntries = n;
      return this;
    }

    public Builder adminHost(String host) {
      this.adminHost = host;
      return this;
    }

    /** 0 for an ephemeral port, -1 (default) for no admin endpoint. */
    public Builder adminPort(int port) {
      this.adminPort = port;
      return this;
    }

    /** CIDR ranges allowed to reach the admin endpoint; default any (it binds to loopback). */
    public Builder adminAllowedClients(List<String> cidrs) {
      this.adminAllowedClients = List.copyOf(cidrs);
      return this;
    }

    public Builder vshardCount(int n) {
      this.vshardCount = n;
      return this;
    }

    public Builder hosted(BitSet vshards) {
      this.hosted = vshards == null ? null : (BitSet) vshards.clone();
      return this;
    }

    /**
     * Bound of each vshard's delivery queue (default 65536). The real bound is {@code n} rounded up
     * to a power of two, and at least 4: 1 gives 4, 1000 gives 1024. A full queue puts its vshard
     * behind; its consumer then catches up by replay.
     */
    public Builder queueCapacity(int n) {
      this.queueCapacity = n;
      return this;
    }

    public Builder limits(ProposalLimits limits) {
      this.limits = limits;
      return this;
    }

    public Builder snapshotEvery(long entries) {
      this.snapshotEvery = entries;
      return this;
    }

    public Builder replayRetention(long entries) {
      this.replayRetention = entries;
      return this;
    }

    public Builder logSegmentBytes(long bytes) {
      this.logSegmentBytes = bytes;
      return this;
    }

    public Builder electionTimeout(Duration min, Duration max) {
      this.electionMin = min;
      this.electionMax = max;
      return this;
    }

    /** The registry to register meters in; default a new Prometheus registry. */
    public Builder meterRegistry(MeterRegistry registry) {
      this.registry = registry;
      return this;
    }

    /**
     * Turns the event log on, writing {@code file} (relative: in the data directory) with the
     * default rotation (16 MiB, 5 generations) and no forced sync; see {@link EventLog}.
     */
    public Builder eventLog(Path file) {
      return eventLog(file == null ? null : EventLogConfig.of(file));
    }

    /** Turns the event log on with these settings; null turns it off (the default). */
    public Builder eventLog(EventLogConfig config) {
      this.eventLog = config;
      return this;
    }

    /**
     * Starts this node as a new member of a running cluster (default false): its Raft server starts
     * outside the group's configuration and waits, without campaigning, until a member adds it
     * ({@code sequencer admin add-node} or {@code replace-node}, {@code ClusterAdmin}); the leader
     * then brings it up to date by log replay or snapshot installation. {@code peers} still gives
     * this node's own address and the members its client talks to (give the new membership). Only
     * the first start on an empty data directory needs it: later starts recover the membership from
     * the data directory either way.
     */
    public Builder join(boolean on) {
      this.join = on;
      return this;
    }

    /**
     * Mutual TLS on the Raft and client gRPC traffic with these files (default null: plaintext).
     * Every member and every client must use TLS, with certificates of the same CA; this node's
     * certificate must name the host of its peer address.
     */
    public Builder tls(org.calvinseq.client.TlsFiles files) {
      this.tls = files;
      return this;
    }

    public NodeConfig config() {
      if (tls != null) {
        tls.check();
      }
      if (nodeId == null || peers == null || dataDir == null) {
        throw new IllegalArgumentException("nodeId, peers and dataDir are required");
      }
      return new NodeConfig(
          nodeId,
          peers,
          clusterName,
          dataDir,
          adminHost,
          adminPort,
          adminAllowedClients,
          vshardCount,
          hosted,
          queueCapacity,
          limits,
          snapshotEvery,
          replayRetention,
          logSegmentBytes,
          electionMin,
          electionMax,
          raftBindPort,
          readyMaxLag,
          completionRetention,
          completionMaxEntries);
    }

    public SequencerNode build() {
      NodeConfig c = config();
      MeterRegistry r =
          registry != null ? registry : new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      return new SequencerNode(c, r, eventLog, join, tls);
    }
  }
}
