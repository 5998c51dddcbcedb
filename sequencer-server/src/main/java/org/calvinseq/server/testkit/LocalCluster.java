package org.calvinseq.server.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.calvinseq.client.Peers;
import org.calvinseq.client.SequencerClient;
import org.calvinseq.server.SequencerNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * N sequencer nodes in this JVM on loopback ephemeral ports with their own data directories: the
 * harness for integration tests, ours and a storage engine's. Use it with try-with-resources; it
 * stops every node and deletes its directories (unless it was given one) on close.
 *
 * <pre>{@code
 * try (LocalCluster cluster = LocalCluster.builder().nodes(3).build().start()) {
 *   cluster.awaitLeader(Duration.ofSeconds(30));
 *   cluster.client().propose(batch).join();
 *   cluster.awaitApplied(0, Duration.ofSeconds(10));
 * }
 * }</pre>
 */
public final class LocalCluster implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LocalCluster.class);

  private final List<RaftPeer> peers;
  private final Path root;
  private final boolean ownsRoot;
  private final Consumer<SequencerNode.Builder> customizer;
  private final boolean admin;
  private final SequencerNode[] nodes;
  private SequencerClient client;

  private LocalCluster(Builder b) throws IOException {
    this.ownsRoot = b.root == null;
    this.root = b.root != null ? b.root : Files.createTempDirectory("calvinseq-cluster-");
    this.customizer = b.customizer;
    this.admin = b.admin;
    List<RaftPeer> ps = new ArrayList<>();
    int[] ports = freePorts(b.nodes);
    for (int i = 0; i < b.nodes; i++) {
      ps.add(
          RaftPeer.newBuilder()
              .setId(RaftPeerId.valueOf("n" + (i + 1)))
              .setAddress("127.0.0.1:" + ports[i])
              .build());
    }
    this.peers = List.copyOf(ps);
    this.nodes = new SequencerNode[b.nodes];
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Starts every node. */
  public LocalCluster start() throws IOException {
    for (int i = 0; i < nodes.length; i++) {
      startNode(i);
    }
    return this;
  }

  private void startNode(int i) throws IOException {
    SequencerNode.Builder b =
        SequencerNode.builder()
            .nodeId(peers.get(i).getId().toString())
            .peers(peers)
            .dataDir(dataDir(i))
            .adminPort(admin ? 0 : -1);
    customizer.accept(b);
    SequencerNode n = b.build();
    n.start();
    nodes[i] = n;
  }

  public Path dataDir(int i) {
    return root.resolve(peers.get(i).getId().toString());
  }

  public int size() {
    return nodes.length;
  }

  /** The peers string clients take. */
  public String peersString() {
    return Peers.format(peers);
  }

  public List<RaftPeer> peers() {
    return peers;
  }

  /** Node {@code i}, or null while it is stopped. */
  public SequencerNode node(int i) {
    return nodes[i];
  }

  /** The running nodes. */
  public List<SequencerNode> running() {
    List<SequencerNode> out = new ArrayList<>();
    for (SequencerNode n : nodes) {
      if (n != null) {
        out.add(n);
      }
    }
    return out;
  }

  /** Index of the current leader among running nodes, if one is known. */
  public Optional<Integer> leader() {
    for (int i = 0; i < nodes.length; i++) {
      if (nodes[i] != null && "LEADER".equals(nodes[i].status().role())) {
        return Optional.of(i);
      }
    }
    return Optional.empty();
  }

  public int awaitLeader(Duration timeout) {
    await(timeout, () -> leader().isPresent(), "a leader");
    return leader().orElseThrow();
  }

  /** Waits until every running node has applied {@code epoch}. */
  public void awaitApplied(long epoch, Duration timeout) {
    await(
        timeout,
        () -> running().stream().allMatch(n -> n.currentCommittedEpoch() >= epoch),
        "every running node to apply epoch " + epoch);
  }

  /** Stops node {@code i} (closes its Raft server; its data directory stays). */
  public void stop(int i) throws IOException {
    SequencerNode n = nodes[i];
    nodes[i] = null;
    if (n != null) {
      n.close();
    }
  }

  /** In this JVM a kill is a stop: the node gets no chance to do more than Ratis's close. */
  public void kill(int i) throws IOException {
    stop(i);
  }

  /** Starts node {@code i} again on its data directory and port. */
  public void restart(int i) throws IOException {
    stop(i);
    startNode(i);
  }

  /** Deletes node {@code i}'s data directory (it must be stopped). */
  public void wipe(int i) throws IOException {
    if (nodes[i] != null) {
      throw new IllegalStateException("stop node " + i + " first");
    }
    deleteTree(dataDir(i));
  }

  /** A client of the cluster, shared and closed with it. */
  public synchronized SequencerClient client() {
    if (client == null) {
      client = SequencerClient.builder().peers(peers).build();
    }
    return client;
  }

  @Override
  public void close() throws IOException {
    if (client != null) {
      client.close();
    }
    for (int i = 0; i < nodes.length; i++) {
      try {
        stop(i);
      } catch (IOException | RuntimeException e) {
        LOG.warn("stopping node {} failed", i, e);
      }
    }
    if (ownsRoot) {
      deleteTree(root);
    }
  }

  /** Polls {@code condition} every 20 ms until it holds or {@code timeout} passes. */
  public static void await(Duration timeout, BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what, e);
      }
    }
  }

  private static int[] freePorts(int n) throws IOException {
    int[] ports = new int[n];
    List<ServerSocket> held = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress("127.0.0.1", 0));
        held.add(s);
        ports[i] = s.getLocalPort();
      }
    } finally {
      for (ServerSocket s : held) {
        s.close();
      }
    }
    return ports;
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

  /** Cluster settings. */
  public static final class Builder {
    private int nodes = 3;
    private Path root;
    private Consumer<SequencerNode.Builder> customizer = b -> {};
    private boolean admin;

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

    /** Adjusts every node's builder (vshard count, limits, snapshot interval...). */
    public Builder configure(Consumer<SequencerNode.Builder> c) {
      this.customizer = c;
      return this;
    }

    /** Starts each node's admin endpoint on an ephemeral port. */
    public Builder adminEndpoints(boolean on) {
      this.admin = on;
      return this;
    }

    public LocalCluster build() throws IOException {
      return new LocalCluster(this);
    }
  }
}
