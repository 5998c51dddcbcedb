package org.calvinseq.server;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.function.UnaryOperator;
import org.apache.ratis.protocol.RaftPeer;
import org.calvinseq.client.Peers;
import org.calvinseq.client.TlsFiles;
import org.calvinseq.core.codec.ProposalLimits;
import org.calvinseq.server.events.EventLog;
import org.calvinseq.server.events.EventLogConfig;
import org.calvinseq.server.inbox.InboxSettings;

/**
 * Settings of a {@link SequencerNode}, from {@link SequencerNode#builder()}; see {@link NodeConfig}
 * for each one's meaning and default. {@link #build()} (and {@link #config()}) fail fast on a
 * missing or invalid setting.
 */
public final class SequencerNodeBuilder {
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
  private TlsFiles tls;
  private UnaryOperator<InboxSettings> inbox = UnaryOperator.identity();

  public SequencerNodeBuilder nodeId(String id) {
    this.nodeId = id;
    return this;
  }

  /** Peers as {@code id@host:port,...}. */
  public SequencerNodeBuilder peers(String peers) {
    this.peers = Peers.parse(peers);
    return this;
  }

  public SequencerNodeBuilder peers(List<RaftPeer> peers) {
    this.peers = List.copyOf(peers);
    return this;
  }

  public SequencerNodeBuilder clusterName(String name) {
    this.clusterName = name;
    return this;
  }

  public SequencerNodeBuilder dataDir(Path dir) {
    this.dataDir = dir;
    return this;
  }

  /**
   * The port the Raft server listens on when it is not the port of this node's peer address (a
   * proxy or NAT in between); default -1, that port.
   */
  public SequencerNodeBuilder raftBindPort(int port) {
    this.raftBindPort = port;
    return this;
  }

  /**
   * How many committed entries this node may trail the leader's commit index by and still answer
   * {@code /ready} with 200 (default {@value NodeConfig#DEFAULT_READY_MAX_LAG}).
   */
  public SequencerNodeBuilder readyMaxLag(long entries) {
    this.readyMaxLag = entries;
    return this;
  }

  /**
   * How long, in epoch time, a txn's completion-ack state is kept after its first ack (default 10
   * minutes). It decides what every replica evicts while applying the log, so all members must be
   * configured alike.
   */
  public SequencerNodeBuilder completionRetention(Duration retention) {
    this.completionRetention = retention;
    return this;
  }

  /**
   * The most txns whose completion-ack state is kept at once, oldest evicted first (default {@value
   * NodeConfig#DEFAULT_COMPLETION_MAX_ENTRIES}). Like {@link #completionRetention}, all members
   * must be configured alike.
   */
  public SequencerNodeBuilder completionMaxEntries(int n) {
    this.completionMaxEntries = n;
    return this;
  }

  public SequencerNodeBuilder adminHost(String host) {
    this.adminHost = host;
    return this;
  }

  /** 0 for an ephemeral port, -1 (default) for no admin endpoint. */
  public SequencerNodeBuilder adminPort(int port) {
    this.adminPort = port;
    return this;
  }

  /** CIDR ranges allowed to reach the admin endpoint; default any (it binds to loopback). */
  public SequencerNodeBuilder adminAllowedClients(List<String> cidrs) {
    this.adminAllowedClients = List.copyOf(cidrs);
    return this;
  }

  public SequencerNodeBuilder vshardCount(int n) {
    this.vshardCount = n;
    return this;
  }

  public SequencerNodeBuilder hosted(BitSet vshards) {
    this.hosted = vshards == null ? null : (BitSet) vshards.clone();
    return this;
  }

  /**
   * Bound of each vshard's delivery queue (default 65536). The real bound is {@code n} rounded up
   * to a power of two, and at least 4: 1 gives 4, 1000 gives 1024. A full queue puts its vshard
   * behind; its consumer then catches up by replay.
   */
  public SequencerNodeBuilder queueCapacity(int n) {
    this.queueCapacity = n;
    return this;
  }

  public SequencerNodeBuilder limits(ProposalLimits limits) {
    this.limits = limits;
    return this;
  }

  public SequencerNodeBuilder snapshotEvery(long entries) {
    this.snapshotEvery = entries;
    return this;
  }

  public SequencerNodeBuilder replayRetention(long entries) {
    this.replayRetention = entries;
    return this;
  }

  public SequencerNodeBuilder logSegmentBytes(long bytes) {
    this.logSegmentBytes = bytes;
    return this;
  }

  public SequencerNodeBuilder electionTimeout(Duration min, Duration max) {
    this.electionMin = min;
    this.electionMax = max;
    return this;
  }

  /** The registry to register meters in; default a new Prometheus registry. */
  public SequencerNodeBuilder meterRegistry(MeterRegistry registry) {
    this.registry = registry;
    return this;
  }

  /**
   * Turns the event log on, writing {@code file} (relative: in the data directory) with the default
   * rotation (16 MiB, 5 generations) and no forced sync; see {@link EventLog}.
   */
  public SequencerNodeBuilder eventLog(Path file) {
    return eventLog(file == null ? null : EventLogConfig.of(file));
  }

  /** Turns the event log on with these settings; null turns it off (the default). */
  public SequencerNodeBuilder eventLog(EventLogConfig config) {
    this.eventLog = config;
    return this;
  }

  /**
   * Starts this node as a new member of a running cluster (default false): its Raft server starts
   * outside the group's configuration and waits, without campaigning, until a member adds it
   * ({@code sequencer admin add-node} or {@code replace-node}, {@code ClusterAdmin}); the leader
   * then brings it up to date by log replay or snapshot installation. {@code peers} still gives
   * this node's own address and the members its client talks to (give the new membership). Only the
   * first start on an empty data directory needs it: later starts recover the membership from the
   * data directory either way.
   */
  public SequencerNodeBuilder join(boolean on) {
    this.join = on;
    return this;
  }

  /**
   * Mutual TLS on the Raft and client gRPC traffic with these files (default null: plaintext).
   * Every member and every client must use TLS, with certificates of the same CA; this node's
   * certificate must name the host of its peer address.
   */
  public SequencerNodeBuilder tls(TlsFiles files) {
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

  /**
   * Changes the leader inbox's settings from their defaults ({@link InboxSettings#defaults} within
   * this node's proposal limits), e.g. {@code b.inboxSettings(s ->
   * s.withEpochInterval(Duration.ofMillis(20)))}; docs/architecture.md gives each default's reason.
   * Applied at {@link #build()}, which fails on settings the inbox refuses.
   */
  public SequencerNodeBuilder inboxSettings(UnaryOperator<InboxSettings> change) {
    this.inbox = java.util.Objects.requireNonNull(change, "change");
    return this;
  }

  /** A node with these settings, not yet started ({@link SequencerNode#start()}). */
  public SequencerNode build() {
    NodeConfig c = config();
    InboxSettings inboxSettings = inbox.apply(InboxSettings.defaults(c.limits()));
    MeterRegistry r =
        registry != null ? registry : new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    return new SequencerNode(c, r, eventLog, join, tls, inboxSettings);
  }
}
