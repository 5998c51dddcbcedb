package org.calvinseq.server;

import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.BitSet;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.calvinseq.client.Peers;
import org.calvinseq.client.SequencerClient;
import org.calvinseq.client.TlsFiles;
import org.calvinseq.core.apply.ApplyListener;
import org.calvinseq.core.apply.EpochStateMachine;
import org.calvinseq.core.concurrent.DaemonThreads;
import org.calvinseq.core.metrics.SequencerCounters;
import org.calvinseq.core.model.ClusterInit;
import org.calvinseq.core.model.CompletionAck;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.core.protocol.NodeStatus;
import org.calvinseq.core.queue.VShardConsumer;
import org.calvinseq.core.routing.CollectionHashRouter;
import org.calvinseq.core.routing.Participants;
import org.calvinseq.core.routing.VShardRouter;
import org.calvinseq.server.admin.AdminServer;
import org.calvinseq.server.events.EventLog;
import org.calvinseq.server.events.EventLogConfig;
import org.calvinseq.server.events.LoggingApplyListener;
import org.calvinseq.server.events.NodeEventListener;
import org.calvinseq.server.inbox.InboxSettings;
import org.calvinseq.server.ratis.PeerProxyRepair;
import org.calvinseq.server.ratis.SequencerStateMachine;
import org.calvinseq.server.ratis.ServerMetrics;
import org.calvinseq.server.ratis.SubmissionService;
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

  private final NodeConfig config;
  private final MeterRegistry registry;
  private final ServerMetrics metrics;
  private final EpochStateMachine core;
  private final SequencerStateMachine stateMachine;
  private final ExecutorService queryExecutor;
  private final ExecutorService notifier;
  private final ScheduledExecutorService timer;
  private final AckBatcher acks;
  private final InboxHost inbox; // the leader inbox while this node leads
  private final EventLog events; // null when the event log is off
  private final boolean join;
  private final TlsFiles tls; // null: plaintext
  private volatile RaftServer server; // read by the inbox's proposer on its closer thread
  private volatile AdminServer admin; // read by adminPort() while start() runs
  private final Object clientLock = new Object();
  private SequencerClient client; // guarded by clientLock
  private volatile boolean started; // the Raft server has started: the log is loaded
  private volatile boolean closed;
  private Runnable beforeRaftStart = () -> {}; // a test hook, see beforeRaftStartForTest
  private final NodeFailures failures;

  SequencerNode(
      NodeConfig config,
      MeterRegistry registry,
      EventLogConfig eventLog,
      boolean join,
      TlsFiles tls,
      InboxSettings inboxSettings) {
    this.config = config;
    this.failures = new NodeFailures(config.nodeId(), () -> server);
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
            .clusterName(config.clusterName())
            .listener(new LoggingApplyListener(events != null ? events : ApplyListener.NONE))
            .build();
    this.stateMachine =
        new SequencerStateMachine(
            core,
            config.limits(),
            metrics,
            queryExecutor,
            events != null ? events : NodeEventListener.NONE);
    metrics.bindRaft(registry, stateMachine::status);
    metrics.bindReadiness(registry, stateMachine::leaderCommitIndex, failures::hasLogFailed);
    stateMachine.onLogFailed(failures::logFailed);
    stateMachine.onClusterMismatch(failures::clusterMismatched);
    stateMachine.onClusterInitNeeded(this::proposeClusterInit);
    this.acks = new AckBatcher(timer, b -> propose(c -> c.proposeAcks(b)), 1000, 4096);
    InboxMetrics inboxMetrics = new InboxMetrics(registry);
    this.inbox =
        new InboxHost(
            config.nodeId(),
            inboxSettings,
            inboxMetrics,
            localProposer(),
            inboxMetrics::refusedBeforeInbox);
    inboxMetrics.bindGauges(registry, this::inboxStats);
    stateMachine.onSubmission(inbox);
  }

  public static SequencerNodeBuilder builder() {
    return new SequencerNodeBuilder();
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
    CommonPool.warnOnceIfUnpooled();
    Files.createDirectories(config.dataDir());
    ClusterFile.checkOrCreate(config);
    if (events != null) {
      events.start();
    }
    if (config.adminPort() >= 0) {
      try {
        admin = NodeAdmin.start(this, registry);
        LOG.info(
            "node {} admin endpoint on http://{}:{}",
            config.nodeId(),
            config.adminHost(),
            admin.port());
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
    server = RatisSettings.newServer(config, tls, join, stateMachine, new SubmissionService(inbox));
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

  /**
   * Runs {@code hook} in {@link #start()} after the admin endpoint has started and just before the
   * Raft server starts (loads its log), so that tests can hold a start there. Package-private: not
   * part of the API.
   */
  void beforeRaftStartForTest(Runnable hook) {
    this.beforeRaftStart = hook;
  }

  /**
   * Completes with the reason once this node found a cluster-init entry that disagrees with its
   * settings; it has then closed its Raft server. {@code sequencer node} exits with status 4.
   */
  public CompletableFuture<String> clusterMismatch() {
    return failures.clusterMismatch();
  }

  /**
   * Proposes the cluster-init entry: this node became a ready leader without having applied one
   * since it started. Losing the race to another leader's entry, or leadership, is harmless: the
   * next leader proposes again, and a second entry with the same settings changes nothing.
   *
   * <p>Straight to this node's Raft server, which returns once the entry is in its log: the state
   * machine calls this before it opens the leader inbox, so the entry comes before the inbox's
   * first epoch. It must: exactly-once starts at that entry, and a txn sequenced before it would
   * not be in its client's window (a retry of it would be sequenced again).
   */
  private void proposeClusterInit() {
    localProposer()
        .propose(new ClusterInit(config.vshardCount(), config.clusterName()))
        .whenComplete(
            (receipt, e) -> {
              if (e != null) {
                LOG.info(
                    "node {}: cluster-init entry not proposed ({}); the next leader proposes it",
                    config.nodeId(),
                    e.toString());
              } else {
                LOG.info(
                    "node {}: cluster-init entry recorded at index {} (vshardCount={}, cluster {})",
                    config.nodeId(),
                    receipt.index(),
                    config.vshardCount(),
                    config.clusterName());
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
    return failures.logFailure();
  }

  /**
   * The {@code /status} document: this node's id, state, role, leader, term, applied and committed
   * positions, lag behind the leader, replay and completion bounds, addresses and version.
   */
  public Map<String, Object> statusDocument() {
    return NodeAdmin.statusDocument(this);
  }

  /** The admin endpoint's port, or -1 when it is off or not started. */
  public int adminPort() {
    AdminServer a = admin;
    return a == null ? -1 : a.port();
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

  /**
   * The vshards this node hosts (all of {@code [0, vshardCount)} unless the builder named some):
   * the ones {@link #subscribe} accepts. A copy; changing it changes nothing.
   */
  public BitSet hostedVShards() {
    BitSet hosted = config.hosted();
    if (hosted != null) {
      return (BitSet) hosted.clone();
    }
    BitSet all = new BitSet(config.vshardCount());
    all.set(0, config.vshardCount());
    return all;
  }

  /** The key-to-vshard routing of this cluster (the same on every member and client). */
  public VShardRouter router() {
    return core.router();
  }

  /**
   * Reports that {@code vshard} executed its share of {@code txn}, a txn this node delivered; the
   * participant count comes from the txn's keys and {@link #router()}. Acks are batched into few
   * log entries.
   */
  public CompletableFuture<BatchReceipt> ack(SequencedTxn txn, int vshard) {
    return ack(txn.id(), vshard, Participants.of(txn.txn(), core.router()).length);
  }

  /**
   * Whether this node is the leader and its leadership is ready: it has committed an entry of its
   * own term, so proposals it receives are appended rather than refused or redirected.
   */
  public boolean isLeaderReady() {
    RaftServer s = server;
    if (s == null || !started || closed) {
      return false;
    }
    try {
      DivisionInfo info = s.getDivision(Peers.groupId(config.clusterName())).getInfo();
      return info.isLeader() && info.isLeaderReady();
    } catch (IOException | RuntimeException e) {
      return false; // the division is not up yet, or already closed
    }
  }

  // ---- not API: for the admin endpoint, the server's own tests and NodeInternals ----

  EpochStateMachine core() {
    return core;
  }

  SequencerStateMachine stateMachine() {
    return stateMachine;
  }

  RaftServer raftServer() {
    return server;
  }

  boolean isStarted() {
    return started;
  }

  /** The proposer this node's inbox uses (a new one, with a client id of its own). */
  LocalProposer localProposer() {
    return new LocalProposer(() -> server, Peers.groupId(config.clusterName()), core::rulesVersion);
  }

  /** The leader inbox's numbers, or null while this node does not lead. */
  org.calvinseq.server.inbox.InboxStats inboxStats() {
    var i = inbox.inbox();
    return i == null ? null : i.stats();
  }

  /** Why the Raft log failed, or null while it has not. */
  String logFailureReason() {
    return failures.logFailureReason();
  }

  /** Why this node stopped applying (its settings disagree with the log's), or null. */
  String clusterMismatchReason() {
    return failures.clusterMismatchReason();
  }

  /**
   * A client of this node's cluster (to propose acks), created on first use, closed with the node;
   * null once the node is closing. Guarded by its own lock, not the node's: it may be called on
   * Ratis's threads, which {@link #close()} waits for while closing the Raft server.
   */
  private SequencerClient client() {
    synchronized (clientLock) {
      if (closed) {
        return null;
      }
      if (client == null) {
        client =
            SequencerClient.builder()
                .peers(config.peers())
                .clusterName(config.clusterName())
                .clusterMaxBatchBytes(config.limits().maxBatchBytes()) // the leader's limit
                .tls(tls)
                .build();
      }
      return client;
    }
  }

  private CompletableFuture<BatchReceipt> propose(
      Function<SequencerClient, CompletableFuture<BatchReceipt>> call) {
    SequencerClient c = client();
    return c == null
        ? CompletableFuture.failedFuture(
            new IllegalStateException("node " + config.nodeId() + " is closed"))
        : call.apply(c);
  }

  /**
   * Stops the node: the admin endpoint, its client, the Raft server, then its threads. The node's
   * lock is held only to mark it closed (waiting for a {@link #start()} in progress), not while the
   * Raft server closes: that waits for Ratis's threads, which may be calling into this node.
   */
  @Override
  public void close() throws IOException {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    IOException failure = null;
    if (admin != null) {
      admin.close();
    }
    inbox.close();
    SequencerClient c;
    synchronized (clientLock) {
      c = client;
      client = null;
    }
    try {
      if (c != null) {
        c.close();
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
    failures.awaitRaftServerClosed();
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
}
