package org.calvinseq.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.calvinseq.client.ClusterAdmin;
import org.calvinseq.client.Peers;
import org.calvinseq.client.SequencerClient;
import org.calvinseq.client.SequencerClientBuilder;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.protocol.NodeStatus;
import org.calvinseq.server.SequencerNode;
import org.calvinseq.server.SequencerNodeBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * N sequencer nodes on loopback ephemeral ports with their own data directories: the harness for
 * integration tests, ours and a storage engine's. Use it with try-with-resources (from JUnit 5 or
 * anything else); on close it stops every node, proxy and process and deletes its directories
 * (unless it was given one).
 *
 * <pre>{@code
 * try (LocalCluster cluster = LocalCluster.builder().nodes(3).proxied(true).build().start()) {
 *   int leader = cluster.awaitLeader(Duration.ofSeconds(30));
 *   BatchReceipt r = cluster.client().propose(batch).join();
 *   cluster.isolate(leader);                 // cut its Raft traffic
 *   cluster.awaitLeader(Duration.ofSeconds(30));
 *   cluster.heal();
 *   cluster.awaitApplied(r.epoch(), Duration.ofSeconds(10));
 * }
 * }</pre>
 *
 * <p>Two ways to run the nodes:
 *
 * <ul>
 *   <li><b>in this JVM</b> (the default): each node is a {@link SequencerNode}, reachable through
 *       {@link #node(int)}, adjusted by {@link Builder#configure}; {@link #kill} closes it as
 *       {@link #stop} does, since a JVM cannot SIGKILL part of itself;
 *   <li><b>as OS processes</b> ({@link Builder#processes}): each node runs the given command,
 *       normally the distribution's {@code bin/sequencer node} or an engine's own main class;
 *       {@link #kill} sends SIGKILL, {@link #stop} SIGTERM, and status and metrics come from each
 *       node's admin endpoint.
 * </ul>
 *
 * <p>With {@link Builder#proxied(boolean) proxies}, a {@link FaultProxy} sits in front of each
 * node's Raft port and the peers' addresses point at the proxies, so that {@link #isolate} can cut
 * a node's Raft traffic and {@link #heal} restore it; clients dial the proxies too.
 */
public final class LocalCluster implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LocalCluster.class);

  private final Members members;
  private final boolean ownsRoot;
  private final Path root;
  private final FaultNetwork network; // null without proxies
  private final NodeLauncher launcher;
  private final NodeSlots nodes;
  private final Integer restartOnExit; // process mode: restart a node that exits with this status
  private volatile ExitSupervisor supervisor;
  private SequencerClient client;

  private LocalCluster(Builder b) throws IOException {
    this.ownsRoot = b.root == null;
    this.root = b.root != null ? b.root : Files.createTempDirectory("calvinseq-cluster-");
    this.restartOnExit = b.restartOnExit;
    int[] bindPorts = FreePorts.pick("127.0.0.1", b.nodes);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < b.nodes; i++) {
      ids.add("n" + (i + 1));
    }
    this.network = b.proxied ? new FaultNetwork(ids, bindPorts) : null;
    List<RaftPeer> peers = new ArrayList<>();
    for (int i = 0; i < b.nodes; i++) {
      peers.add(
          RaftPeer.newBuilder()
              .setId(RaftPeerId.valueOf(ids.get(i)))
              .setAddress("127.0.0.1:" + (network != null ? network.port(i) : bindPorts[i]))
              .build());
    }
    this.members =
        new Members(
            b.clusterName,
            peers,
            bindPorts,
            b.proxied,
            root,
            b.logDir != null ? b.logDir : root.resolve("logs"));
    this.launcher =
        b.command == null
            ? new InProcessLauncher(members, b.admin, b.customizer, b.lifecycle)
            : new ProcessLauncher(members, b.command, b.environment, b.startTimeout);
    this.nodes = new NodeSlots(launcher, b.nodes);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Starts every node (processes concurrently) and returns once each one is up. */
  public LocalCluster start() throws IOException {
    nodes.startAll();
    if (restartOnExit != null && !launcher.inProcess() && supervisor == null) {
      supervisor =
          new ExitSupervisor(restartOnExit, nodes.size(), nodes.lock(), nodes::get, nodes::replace);
    }
    return this;
  }

  /**
   * The exit statuses after which node {@code i} was started again by the cluster itself ({@link
   * Builder#restartOnExit}), oldest first; an entry appears once the new process serves its admin
   * endpoint (or failed to start).
   */
  public List<Integer> supervisedRestarts(int i) {
    ExitSupervisor s = supervisor;
    return s == null ? List.of() : s.restarts(i);
  }

  /** The peer id of node {@code i}: {@code n1}, {@code n2}, ... */
  public String nodeId(int i) {
    return members.nodeId(i);
  }

  public Path dataDir(int i) {
    return members.dataDir(i);
  }

  /** Where the output of node {@code i}'s process goes (process mode). */
  public Path logFile(int i) {
    return members.logFile(i);
  }

  public int size() {
    return nodes.size();
  }

  /** True when the nodes run as OS processes. */
  public boolean processMode() {
    return !launcher.inProcess();
  }

  /** True when a {@link FaultProxy} sits in front of each node. */
  public boolean proxied() {
    return network != null;
  }

  /** The name of the cluster's Raft group, which its nodes and clients share. */
  public String clusterName() {
    return members.clusterName();
  }

  /** The peers string clients take. */
  public String peersString() {
    return members.peersString();
  }

  /** Every member with the address its peers and clients dial (a proxy's, when proxied). */
  public List<RaftPeer> peers() {
    return members.peers();
  }

  /**
   * Node {@code i} in this JVM, or null while it is stopped.
   *
   * @throws IllegalStateException in process mode
   */
  public SequencerNode node(int i) {
    requireInProcess();
    NodeHandle h = nodes.get(i);
    return h == null ? null : h.node();
  }

  /**
   * The running nodes in this JVM.
   *
   * @throws IllegalStateException in process mode
   */
  public List<SequencerNode> running() {
    requireInProcess();
    List<SequencerNode> out = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      NodeHandle n = nodes.get(i);
      if (n != null) {
        out.add(n.node());
      }
    }
    return out;
  }

  /**
   * How many times node {@code i} has been started: a reader that sees the same value before and
   * after a series of reads knows they all went to one incarnation of the node.
   */
  public int generation(int i) {
    return nodes.generation(i);
  }

  /** True while node {@code i} runs (has been started and not stopped, and has not died). */
  public boolean isRunning(int i) {
    NodeHandle h = nodes.get(i);
    return h != null && h.isAlive();
  }

  /** Node {@code i}'s view of itself, or null when it is stopped or does not answer. */
  public NodeStatus status(int i) {
    NodeHandle h = nodes.get(i);
    return h == null ? null : h.status();
  }

  /**
   * The admin endpoint port of node {@code i} (for {@code /ready}, say), or -1 when it has none:
   * not running, or in this JVM without {@link Builder#adminEndpoints}.
   */
  public int adminPort(int i) {
    NodeHandle h = nodes.get(i);
    return h == null ? -1 : h.adminPort();
  }

  /** The process id of node {@code i}, in process mode while it runs. */
  public OptionalLong pid(int i) {
    NodeHandle h = nodes.get(i);
    return h == null ? OptionalLong.empty() : h.pid();
  }

  /**
   * Node {@code i}'s metrics in the Prometheus text format: from its registry in this JVM, or from
   * its admin endpoint.
   */
  public String scrape(int i) throws IOException {
    return handle(i).scrape();
  }

  /**
   * Node {@code i}'s own replay of {@code vshard} over {@code [fromEpoch, toEpoch]}: what that node
   * delivered or would deliver, read from its log only.
   */
  public Iterator<SequencedTxn> replay(int i, int vshard, long fromEpoch, long toEpoch) {
    return handle(i).replay(vshard, fromEpoch, toEpoch);
  }

  /**
   * The current leader among running nodes, if one is known. While an isolated leader has not yet
   * stepped down two nodes may say they lead; the one with the higher term is the leader.
   */
  public Optional<Integer> leader() {
    NodeStatus[] statuses = new NodeStatus[nodes.size()];
    for (int i = 0; i < nodes.size(); i++) {
      statuses[i] = status(i);
    }
    return ClusterView.leader(statuses);
  }

  public int awaitLeader(Duration timeout) {
    await(timeout, () -> leader().isPresent(), "a leader");
    return leader().orElseThrow();
  }

  /**
   * Asks the current leader to hand leadership to node {@code target} (through {@link
   * ClusterAdmin}, as an operator would), and waits until {@code target} leads.
   */
  public void transferLeadership(int target, Duration timeout) throws IOException {
    try (ClusterAdmin admin = ClusterAdmin.create(clientSettings().callTimeout(timeout))) {
      admin.transferLeader(members.peers().get(target).getId());
    }
    await(
        timeout, () -> leader().filter(l -> l == target).isPresent(), nodeId(target) + " to lead");
  }

  /** Settings of a client of this cluster: its peers and cluster name. */
  public SequencerClientBuilder clientSettings() {
    return SequencerClient.builder().clusterName(members.clusterName()).peers(members.peers());
  }

  /** Waits until every running node has applied {@code epoch}. */
  public void awaitApplied(long epoch, Duration timeout) {
    await(
        timeout,
        () -> ClusterView.allApplied(this, epoch),
        "every running node to apply epoch " + epoch,
        this::describe);
  }

  /**
   * Every node's state on one line (a test report shows the first line of a failure): role, term,
   * last applied epoch and index, commit index; or why there is none.
   */
  public String describe() {
    return ClusterView.describe(this);
  }

  /** True from a start of node {@code i} until it is stopped or killed (even if it died). */
  boolean started(int i) {
    return nodes.get(i) != null;
  }

  /** Stops node {@code i} cleanly (SIGTERM for a process); its data directory stays. */
  public void stop(int i) throws IOException {
    nodes.stop(i, false);
  }

  /**
   * Ends node {@code i} abruptly: SIGKILL for a process. In this JVM a kill is a stop, except that
   * the lifecycle hears {@code killed = true}.
   */
  public void kill(int i) throws IOException {
    nodes.stop(i, true);
  }

  /** Starts node {@code i} again on its data directory and ports (stopping it first if it runs). */
  public void restart(int i) throws IOException {
    synchronized (nodes.lock()) {
      stop(i);
      nodes.start(List.of(i));
    }
  }

  /** Stops every running node cleanly, then starts all of them at once. */
  public void restartAll() throws IOException {
    synchronized (nodes.lock()) {
      for (int i = 0; i < nodes.size(); i++) {
        stop(i);
      }
      nodes.startAll();
    }
  }

  /** Starts every node that is not running (processes concurrently). */
  public void startStopped() throws IOException {
    nodes.startStopped();
  }

  /** Deletes node {@code i}'s data directory (it must be stopped). */
  public void wipe(int i) throws IOException {
    if (nodes.get(i) != null) {
      throw new IllegalStateException("stop node " + i + " first");
    }
    Directories.deleteTree(dataDir(i));
  }

  /**
   * Cuts node {@code i} off: every connection to its Raft port, and every connection it opened to a
   * peer, is closed and new ones are refused until {@link #heal()}. Its clients' connections to
   * other nodes are not cut (they are not Raft traffic).
   *
   * @throws IllegalStateException unless the cluster was built with proxies
   */
  public void isolate(int i) {
    requireProxies();
    network.isolate(nodeId(i));
  }

  /** Restores every cut connection path. */
  public void heal() {
    requireProxies();
    network.heal();
  }

  /** The proxy in front of node {@code i} (to throttle it or count its traffic). */
  public FaultProxy proxy(int i) {
    requireProxies();
    return network.proxy(i);
  }

  /** A client of the cluster, shared and closed with it. */
  public synchronized SequencerClient client() {
    if (client == null) {
      client = clientSettings().build();
    }
    return client;
  }

  @Override
  public void close() throws IOException {
    ExitSupervisor sup = supervisor;
    if (sup != null) {
      sup.close();
    }
    synchronized (this) {
      if (client != null) {
        client.close();
        client = null;
      }
    }
    for (int i = 0; i < nodes.size(); i++) {
      try {
        stop(i);
      } catch (IOException | RuntimeException e) {
        LOG.warn("stopping node {} failed", i, e);
      }
    }
    if (network != null) {
      network.close();
    }
    if (ownsRoot) {
      Directories.deleteTree(root);
    }
  }

  private NodeHandle handle(int i) {
    NodeHandle h = nodes.get(i);
    if (h == null) {
      throw new IllegalStateException("node " + nodeId(i) + " is not running");
    }
    return h;
  }

  private void requireInProcess() {
    if (!launcher.inProcess()) {
      throw new IllegalStateException(
          "the nodes run as processes; use status(i), scrape(i) and replay(i, ...) instead");
    }
  }

  private void requireProxies() {
    if (!proxied()) {
      throw new IllegalStateException("build the cluster with proxied(true) to cut its traffic");
    }
  }

  /** Polls {@code condition} every 20 ms until it holds or {@code timeout} passes. */
  public static void await(Duration timeout, BooleanSupplier condition, String what) {
    Await.until(timeout, condition, what, () -> "");
  }

  /**
   * Like {@link #await(Duration, BooleanSupplier, String)}; on timeout the message ends with what
   * {@code state} says about the moment it gave up.
   */
  public static void await(
      Duration timeout, BooleanSupplier condition, String what, Supplier<String> state) {
    Await.until(timeout, condition, what, state);
  }

  /**
   * Hears when a node in this JVM starts and before it stops: where a test embeds its engine in
   * each node and closes it (or, on a kill, abandons it) with the node.
   */
  public interface NodeLifecycle {
    NodeLifecycle NONE = new NodeLifecycle() {};

    /** Node {@code index} has started. */
    default void started(int index, SequencerNode node) {}

    /** Node {@code index} is about to stop; {@code killed} when through {@link #kill}. */
    default void stopping(int index, SequencerNode node, boolean killed) {}
  }

  /** Cluster settings. */
  public static final class Builder {
    private int nodes = 3;
    private Path root;
    private Path logDir;
    private String clusterName = Peers.DEFAULT_CLUSTER;
    private Consumer<SequencerNodeBuilder> customizer = b -> {};
    private NodeLifecycle lifecycle = NodeLifecycle.NONE;
    private boolean admin;
    private boolean proxied;
    private ProcessCommand command;
    private Map<String, String> environment = Map.of();
    private Duration startTimeout = Duration.ofSeconds(90);
    private Integer restartOnExit;

    public Builder nodes(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("nodes must be >= 1");
      }
      this.nodes = n;
      return this;
    }

    /** Where node directories go; default a temp directory deleted on close. */
    public Builder root(Path dir) {
      this.root = dir;
      return this;
    }

    /**
     * Names the cluster's Raft group (nodes and clients); default {@link Peers#DEFAULT_CLUSTER}.
     */
    public Builder clusterName(String name) {
      this.clusterName = java.util.Objects.requireNonNull(name, "name");
      return this;
    }

    /** Where node processes' output goes; default {@code logs} under the root. */
    public Builder logDir(Path dir) {
      this.logDir = dir;
      return this;
    }

    /** Adjusts every in-JVM node's builder (vshard count, limits, snapshot interval...). */
    public Builder configure(Consumer<SequencerNodeBuilder> c) {
      this.customizer = c;
      return this;
    }

    /** Hears in-JVM nodes start and stop. */
    public Builder lifecycle(NodeLifecycle l) {
      this.lifecycle = l;
      return this;
    }

    /**
     * Starts each in-JVM node's admin endpoint on an ephemeral port (processes always have one).
     */
    public Builder adminEndpoints(boolean on) {
      this.admin = on;
      return this;
    }

    /** Puts a {@link FaultProxy} in front of each node, for {@link LocalCluster#isolate}. */
    public Builder proxied(boolean on) {
      this.proxied = on;
      return this;
    }

    /** Runs each node as an OS process started by {@code command}. */
    public Builder processes(ProcessCommand command) {
      this.command = command;
      return this;
    }

    /** Environment variables of node processes, for example {@code JAVA_OPTS}. */
    public Builder processEnvironment(Map<String, String> env) {
      this.environment = Map.copyOf(env);
      return this;
    }

    /** How long a node process may take to serve its admin endpoint; default 90 s. */
    public Builder startTimeout(Duration d) {
      this.startTimeout = d;
      return this;
    }

    /**
     * Process mode: start a node again, like a supervisor would, when its process exits on its own
     * with {@code status} (for example 3, {@code sequencer node}'s status after a failed write of
     * its Raft log); see {@link LocalCluster#supervisedRestarts}. Default: never.
     */
    public Builder restartOnExit(int status) {
      this.restartOnExit = status;
      return this;
    }

    public LocalCluster build() throws IOException {
      return new LocalCluster(this);
    }
  }
}
