package org.calvinseq.server.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.calvinseq.client.ClusterAdmin;
import org.calvinseq.client.Peers;
import org.calvinseq.client.SequencerClient;
import org.calvinseq.client.SequencerClientBuilder;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.protocol.NodeStatus;
import org.calvinseq.server.SequencerNode;
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

  private final List<RaftPeer> peers;
  private final int[] bindPorts;
  private final Path root;
  private final boolean ownsRoot;
  private final Path logDir;
  private final String clusterName;
  private final Consumer<SequencerNode.Builder> customizer;
  private final NodeLifecycle lifecycle;
  private final boolean admin;
  private final ProcessCommand command;
  private final Map<String, String> environment;
  private final Duration startTimeout;
  private final FaultProxy[] proxies;
  private final Set<String> isolated = ConcurrentHashMap.newKeySet();
  private final NodeHandle[] nodes;
  private final AtomicIntegerArray generations;
  private final int[] adminPorts; // process mode: the port each node was last launched with
  private final Integer restartOnExit; // process mode: restart a node that exits with this status
  private final Object lifecycleLock = new Object();
  private final List<List<Integer>> supervisedExits = new ArrayList<>();
  private Thread supervisor;
  private volatile boolean closing;
  private SequencerClient client;

  private LocalCluster(Builder b) throws IOException {
    this.ownsRoot = b.root == null;
    this.root = b.root != null ? b.root : Files.createTempDirectory("calvinseq-cluster-");
    this.logDir = b.logDir != null ? b.logDir : root.resolve("logs");
    this.clusterName = b.clusterName;
    this.customizer = b.customizer;
    this.lifecycle = b.lifecycle;
    this.admin = b.admin;
    this.command = b.command;
    this.environment = Map.copyOf(b.environment);
    this.startTimeout = b.startTimeout;
    this.restartOnExit = b.restartOnExit;
    this.nodes = new NodeHandle[b.nodes];
    this.generations = new AtomicIntegerArray(b.nodes);
    this.adminPorts = new int[b.nodes];
    this.proxies = new FaultProxy[b.nodes];
    this.bindPorts = freePorts(b.nodes);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < b.nodes; i++) {
      ids.add("n" + (i + 1));
    }
    List<RaftPeer> ps = new ArrayList<>();
    try {
      for (int i = 0; i < b.nodes; i++) {
        int port = bindPorts[i];
        if (b.proxied) {
          proxies[i] =
              new FaultProxy(
                  ids.get(i), new InetSocketAddress("127.0.0.1", bindPorts[i]), ids, this::allowed);
          port = proxies[i].port();
        }
        ps.add(
            RaftPeer.newBuilder()
                .setId(RaftPeerId.valueOf(ids.get(i)))
                .setAddress("127.0.0.1:" + port)
                .build());
      }
    } catch (IOException | RuntimeException e) {
      closeProxies();
      throw e;
    }
    this.peers = List.copyOf(ps);
    for (int i = 0; i < b.nodes; i++) {
      supervisedExits.add(new java.util.concurrent.CopyOnWriteArrayList<>());
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Starts every node (processes concurrently) and returns once each one is up. */
  public LocalCluster start() throws IOException {
    startAll(allIndexes());
    if (restartOnExit != null && command != null && supervisor == null) {
      supervisor = new Thread(this::supervise, "local-cluster-supervisor");
      supervisor.setDaemon(true);
      supervisor.start();
    }
    return this;
  }

  /**
   * The exit statuses after which node {@code i} was started again by the cluster itself ({@link
   * Builder#restartOnExit}), oldest first; an entry appears once the new process serves its admin
   * endpoint (or failed to start).
   */
  public List<Integer> supervisedRestarts(int i) {
    return List.copyOf(supervisedExits.get(i));
  }

  /** Like a supervisor (systemd's Restart=): starts a node process that exited with the status. */
  private void supervise() {
    while (!closing) {
      try {
        Thread.sleep(200);
        for (int i = 0; i < nodes.length && !closing; i++) {
          synchronized (lifecycleLock) {
            if (!closing
                && nodes[i] instanceof ProcessNode p
                && !p.isAlive()
                && p.exitStatus() == restartOnExit) {
              LOG.info(
                  "node {} exited with status {}; starting it again", nodeId(i), restartOnExit);
              nodes[i] = null;
              try {
                startAll(List.of(i));
              } finally {
                // Only now: a caller that sees the entry finds the new process started.
                supervisedExits.get(i).add(restartOnExit);
              }
            }
          }
        }
      } catch (InterruptedException e) {
        return;
      } catch (IOException | RuntimeException | AssertionError e) {
        LOG.warn("the supervisor could not start a node again", e);
      }
    }
  }

  private List<Integer> allIndexes() {
    List<Integer> all = new ArrayList<>();
    for (int i = 0; i < nodes.length; i++) {
      all.add(i);
    }
    return all;
  }

  private void startAll(List<Integer> which) throws IOException {
    if (command == null) {
      for (int i : which) {
        startInProcess(i);
      }
      return;
    }
    for (int i : which) {
      nodes[i] = launch(i);
      generations.incrementAndGet(i);
    }
    for (int i : which) {
      for (int attempt = 1; ; attempt++) {
        ProcessNode n = (ProcessNode) nodes[i];
        try {
          n.awaitReady(startTimeout);
          break;
        } catch (IllegalStateException e) {
          // Ports are picked free but not held until the process binds them, so another socket
          // can take one meanwhile; the node then exits at once, and a fresh port will do.
          if (attempt == 3 || !n.exitedOnPortInUse()) {
            throw e;
          }
          LOG.warn("node {} found a port taken; starting it again on another", nodeId(i));
          nodes[i] = launch(i);
          generations.incrementAndGet(i);
        }
      }
    }
  }

  private void startInProcess(int i) throws IOException {
    SequencerNode.Builder b =
        SequencerNode.builder()
            .nodeId(nodeId(i))
            .clusterName(clusterName)
            .peers(peers)
            .dataDir(dataDir(i))
            .adminPort(admin ? 0 : -1);
    if (proxies[i] != null) {
      b.raftBindPort(bindPorts[i]);
    }
    customizer.accept(b);
    SequencerNode n = b.build();
    n.start();
    nodes[i] = new InProcessNode(n);
    generations.incrementAndGet(i);
    lifecycle.started(i, n);
  }

  private ProcessNode launch(int i) throws IOException {
    int adminPort = freeAdminPort(i);
    adminPorts[i] = adminPort;
    NodeLaunch l =
        new NodeLaunch(
            i,
            nodeId(i),
            clusterName,
            peersString(),
            dataDir(i),
            proxies[i] != null ? bindPorts[i] : -1,
            adminPort);
    return ProcessNode.launch(l, peers.get(i), command, environment, logFile(i));
  }

  /** The peer id of node {@code i}: {@code n1}, {@code n2}, ... */
  public String nodeId(int i) {
    return peers.get(i).getId().toString();
  }

  public Path dataDir(int i) {
    return root.resolve(nodeId(i));
  }

  /** Where the output of node {@code i}'s process goes (process mode). */
  public Path logFile(int i) {
    return logDir.resolve(nodeId(i) + ".log");
  }

  public int size() {
    return nodes.length;
  }

  /** True when the nodes run as OS processes. */
  public boolean processMode() {
    return command != null;
  }

  /** True when a {@link FaultProxy} sits in front of each node. */
  public boolean proxied() {
    return proxies[0] != null;
  }

  /** The name of the cluster's Raft group, which its nodes and clients share. */
  public String clusterName() {
    return clusterName;
  }

  /** The peers string clients take. */
  public String peersString() {
    return Peers.format(peers);
  }

  /** Every member with the address its peers and clients dial (a proxy's, when proxied). */
  public List<RaftPeer> peers() {
    return peers;
  }

  /**
   * Node {@code i} in this JVM, or null while it is stopped.
   *
   * @throws IllegalStateException in process mode
   */
  public SequencerNode node(int i) {
    requireInProcess();
    NodeHandle h = nodes[i];
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
    for (NodeHandle n : nodes) {
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
    return generations.get(i);
  }

  /** True while node {@code i} runs (has been started and not stopped, and has not died). */
  public boolean isRunning(int i) {
    NodeHandle h = nodes[i];
    return h != null && h.isAlive();
  }

  /** Node {@code i}'s view of itself, or null when it is stopped or does not answer. */
  public NodeStatus status(int i) {
    NodeHandle h = nodes[i];
    return h == null ? null : h.status();
  }

  /**
   * The admin endpoint port of node {@code i} (for {@code /ready}, say), or -1 when it has none:
   * not running, or in this JVM without {@link Builder#adminEndpoints}.
   */
  public int adminPort(int i) {
    NodeHandle h = nodes[i];
    if (h == null) {
      return -1;
    }
    return h.node() != null ? h.node().adminPort() : adminPorts[i];
  }

  /** The process id of node {@code i}, in process mode while it runs. */
  public OptionalLong pid(int i) {
    NodeHandle h = nodes[i];
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
    int best = -1;
    long bestTerm = -1;
    for (int i = 0; i < nodes.length; i++) {
      NodeStatus s = status(i);
      if (s != null && "LEADER".equals(s.role()) && s.term() > bestTerm) {
        best = i;
        bestTerm = s.term();
      }
    }
    return best < 0 ? Optional.empty() : Optional.of(best);
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
      admin.transferLeader(peers.get(target).getId());
    }
    await(
        timeout, () -> leader().filter(l -> l == target).isPresent(), nodeId(target) + " to lead");
  }

  /** Settings of a client of this cluster: its peers and cluster name. */
  public SequencerClientBuilder clientSettings() {
    return SequencerClient.builder().clusterName(clusterName).peers(peers);
  }

  /** Waits until every running node has applied {@code epoch}. */
  public void awaitApplied(long epoch, Duration timeout) {
    await(
        timeout,
        () -> {
          for (int i = 0; i < nodes.length; i++) {
            if (nodes[i] != null) {
              NodeStatus s = status(i);
              if (s == null || s.lastAppliedEpoch() < epoch) {
                return false;
              }
            }
          }
          return true;
        },
        "every running node to apply epoch " + epoch,
        this::describe);
  }

  /**
   * Every node's state on one line (a test report shows the first line of a failure): role, term,
   * last applied epoch and index, commit index; or why there is none.
   */
  public String describe() {
    StringBuilder b = new StringBuilder(" [");
    for (int i = 0; i < nodes.length; i++) {
      b.append(i == 0 ? "" : " | ").append(nodeId(i)).append(' ');
      try {
        NodeStatus s = status(i);
        if (nodes[i] == null) {
          b.append("not running");
        } else if (s == null) {
          b.append("no status");
        } else {
          b.append(s.role())
              .append(" term ")
              .append(s.term())
              .append(" leader ")
              .append(s.leaderId())
              .append(" epoch ")
              .append(s.lastAppliedEpoch())
              .append(" applied ")
              .append(s.lastAppliedIndex())
              .append(" commit ")
              .append(s.commitIndex());
        }
      } catch (RuntimeException e) {
        b.append("status failed: ").append(e);
      }
    }
    return b.append(']').toString();
  }

  /** Stops node {@code i} cleanly (SIGTERM for a process); its data directory stays. */
  public void stop(int i) throws IOException {
    synchronized (lifecycleLock) {
      NodeHandle n = nodes[i];
      nodes[i] = null;
      if (n != null) {
        if (n.node() != null) {
          lifecycle.stopping(i, n.node(), false);
        }
        n.stop();
      }
    }
  }

  /**
   * Ends node {@code i} abruptly: SIGKILL for a process. In this JVM a kill is a stop, except that
   * the lifecycle hears {@code killed = true}.
   */
  public void kill(int i) throws IOException {
    synchronized (lifecycleLock) {
      NodeHandle n = nodes[i];
      nodes[i] = null;
      if (n != null) {
        if (n.node() != null) {
          lifecycle.stopping(i, n.node(), true);
        }
        n.kill();
      }
    }
  }

  /** Starts node {@code i} again on its data directory and ports (stopping it first if it runs). */
  public void restart(int i) throws IOException {
    synchronized (lifecycleLock) {
      stop(i);
      startAll(List.of(i));
    }
  }

  /** Stops every running node cleanly, then starts all of them at once. */
  public void restartAll() throws IOException {
    synchronized (lifecycleLock) {
      for (int i = 0; i < nodes.length; i++) {
        stop(i);
      }
      startAll(allIndexes());
    }
  }

  /** Starts every node that is not running (processes concurrently). */
  public void startStopped() throws IOException {
    synchronized (lifecycleLock) {
      List<Integer> which = new ArrayList<>();
      for (int i = 0; i < nodes.length; i++) {
        if (nodes[i] == null || !nodes[i].isAlive()) {
          nodes[i] = null;
          which.add(i);
        }
      }
      startAll(which);
    }
  }

  /** Deletes node {@code i}'s data directory (it must be stopped). */
  public void wipe(int i) throws IOException {
    if (nodes[i] != null) {
      throw new IllegalStateException("stop node " + i + " first");
    }
    deleteTree(dataDir(i));
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
    isolated.add(nodeId(i));
    LOG.info("isolated {}", nodeId(i));
    enforce();
  }

  /** Restores every cut connection path. */
  public void heal() {
    requireProxies();
    isolated.clear();
    LOG.info("healed the network");
  }

  /** The proxy in front of node {@code i} (to throttle it or count its traffic). */
  public FaultProxy proxy(int i) {
    requireProxies();
    return proxies[i];
  }

  private boolean allowed(String source, String destination) {
    return !isolated.contains(destination) && (source == null || !isolated.contains(source));
  }

  private void enforce() {
    for (FaultProxy p : proxies) {
      p.enforce();
    }
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
    closing = true;
    Thread sup = supervisor;
    if (sup != null) {
      sup.interrupt();
      try {
        sup.join(java.util.concurrent.TimeUnit.SECONDS.toMillis(120));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    synchronized (this) {
      if (client != null) {
        client.close();
        client = null;
      }
    }
    for (int i = 0; i < nodes.length; i++) {
      try {
        stop(i);
      } catch (IOException | RuntimeException e) {
        LOG.warn("stopping node {} failed", i, e);
      }
    }
    closeProxies();
    if (ownsRoot) {
      deleteTree(root);
    }
  }

  private void closeProxies() {
    for (FaultProxy p : proxies) {
      if (p != null) {
        p.close();
      }
    }
  }

  private NodeHandle handle(int i) {
    NodeHandle h = nodes[i];
    if (h == null) {
      throw new IllegalStateException("node " + nodeId(i) + " is not running");
    }
    return h;
  }

  private void requireInProcess() {
    if (command != null) {
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
    await(timeout, condition, what, () -> "");
  }

  /**
   * Like {@link #await(Duration, BooleanSupplier, String)}; on timeout the message ends with what
   * {@code state} says about the moment it gave up.
   */
  public static void await(
      Duration timeout, BooleanSupplier condition, String what, Supplier<String> state) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "timed out after " + timeout + " waiting for " + what + state.get());
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what, e);
      }
    }
  }

  /**
   * A free port for node {@code i}'s admin endpoint that is none of the ports this cluster has
   * handed out: the other nodes' admin ports and the Raft ports (free while their node is down).
   */
  private int freeAdminPort(int i) throws IOException {
    Set<Integer> handedOut = new HashSet<>();
    for (int j = 0; j < nodes.length; j++) {
      handedOut.add(bindPorts[j]);
      if (j != i) {
        handedOut.add(adminPorts[j]);
      }
    }
    for (int attempt = 0; attempt < 100; attempt++) {
      int port = freePorts(1)[0];
      if (!handedOut.contains(port)) {
        return port;
      }
    }
    throw new IOException("no free port for the admin endpoint of " + nodeId(i));
  }

  private static int[] freePorts(int n) throws IOException {
    return FreePorts.pick("127.0.0.1", n);
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    }
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
    private Consumer<SequencerNode.Builder> customizer = b -> {};
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
    public Builder configure(Consumer<SequencerNode.Builder> c) {
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
