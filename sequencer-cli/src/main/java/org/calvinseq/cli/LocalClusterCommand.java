package org.calvinseq.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.apache.ratis.protocol.RaftPeer;
import org.calvinseq.client.SequencerClient;
import org.calvinseq.server.SequencerNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code sequencer local-cluster}: a whole cluster on loopback in this process, for trying the
 * sequencer and for developing against it. Its data directory keeps the ports, so a restart on the
 * same directory resumes the same cluster.
 */
@Command(
    name = "local-cluster",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    versionProvider = SequencerCli.Version.class,
    description = {
      "Runs a cluster of --nodes members on 127.0.0.1 in this process until SIGTERM or Ctrl-C"
          + " (or --duration), then closes it cleanly.",
      "Prints the peers string that client commands take (--peers) and each member's admin URL."
          + " Restarting with the same --data-dir resumes the same cluster on the same ports."
    })
final class LocalClusterCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(LocalClusterCommand.class);
  private static final Duration LEADER_WAIT = Duration.ofSeconds(60);

  @Spec CommandSpec spec;

  @Option(
      names = "--nodes",
      paramLabel = "N",
      description = "Number of members. Default: 3, or as many as the --data-dir holds.")
  Integer nodes;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description =
          "Directory of the cluster (one subdirectory per member, and "
              + ClusterLayout.FILE
              + " with the ports). Default: a new directory under the system temp dir.")
  Path dataDir;

  @Option(
      names = "--admin-port-base",
      paramLabel = "PORT",
      description =
          "Admin endpoint of member i on PORT+i-1. Default: free ports picked at first start.")
  Integer adminPortBase;

  @Option(
      names = "--demo-load",
      description = "Propose a steady stream of generated batches and print progress every second.")
  boolean demoLoad;

  @Option(
      names = "--demo-batch-size",
      paramLabel = "TXNS",
      defaultValue = "100",
      description = "Txns per demo batch. Default: ${DEFAULT-VALUE}.")
  int demoBatchSize;

  @Option(
      names = "--demo-rate",
      paramLabel = "BATCHES",
      defaultValue = "50",
      description = "Demo batches per second. Default: ${DEFAULT-VALUE}.")
  int demoRate;

  @Option(
      names = "--demo-in-flight",
      paramLabel = "N",
      defaultValue = "8",
      description = "Most demo batches awaiting their receipt. Default: ${DEFAULT-VALUE}.")
  int demoInFlight;

  @Option(
      names = "--duration",
      paramLabel = "DURATION",
      converter = Durations.class,
      description = "Stop after this long, e.g. 30s or 5m. Default: run until SIGTERM or Ctrl-C.")
  Duration duration;

  private final List<SequencerNode> running = new CopyOnWriteArrayList<>();
  // Guarded by this: the shutdown hook may run while the command thread is still starting things.
  private SequencerClient client;
  private DemoLoad load;
  private boolean closing;

  @Override
  public Integer call() throws IOException, InterruptedException {
    validate();
    PrintWriter out = spec.commandLine().getOut();
    Path dir = dataDir != null ? dataDir : Files.createTempDirectory("calvinseq-local-");
    ClusterLayout layout = layout(dir);
    out.println("data dir: " + dir.toAbsolutePath());
    out.flush();

    GracefulStop stop = GracefulStop.install("local cluster", this::shutdown);
    try {
      layout = startNodes(dir, layout);
    } catch (IOException | RuntimeException e) {
      stop.abandon();
      shutdown();
      throw e;
    }
    if (stop.isStopped()) {
      return CommandLine.ExitCode.OK;
    }
    out.println("peers: " + layout.peersString());
    for (int i = 0; i < layout.size(); i++) {
      out.println(
          "admin "
              + layout.id(i)
              + ": "
              + NodeCommand.adminUrl(ClusterLayout.HOST, layout.adminPorts().get(i)));
    }
    out.flush();
    String leader = awaitReadyLeader(stop);
    if (stop.isStopped()) {
      return CommandLine.ExitCode.OK;
    }
    out.println("leader: " + leader);
    out.flush();
    if (demoLoad) {
      startDemoLoad(layout, leader, out);
    }
    if (!stop.await(duration)) {
      stop.stopNow("--duration elapsed");
    }
    return CommandLine.ExitCode.OK;
  }

  private void validate() {
    CommandLine cl = spec.commandLine();
    if (nodes != null && (nodes < 1 || nodes > 99)) {
      throw new ParameterException(cl, "--nodes must be 1..99: " + nodes);
    }
    if (adminPortBase != null && (adminPortBase < 1 || adminPortBase > 65_535 - 99)) {
      throw new ParameterException(cl, "--admin-port-base must be 1.." + (65_535 - 99));
    }
    if (demoBatchSize < 1 || demoRate < 1 || demoInFlight < 1) {
      throw new ParameterException(
          cl, "--demo-batch-size, --demo-rate and --demo-in-flight must be >= 1");
    }
  }

  /** The stored layout of {@code dir}, or a new one (stored) when the directory is new. */
  private ClusterLayout layout(Path dir) throws IOException {
    ClusterLayout layout = ClusterLayout.load(dir);
    if (layout == null) {
      if (Files.isDirectory(dir) && !isEmpty(dir)) {
        throw new IllegalArgumentException(
            "--data-dir "
                + dir
                + " is not empty and holds no "
                + ClusterLayout.FILE
                + "; give an empty or new directory, or one a local-cluster ran in");
      }
      Files.createDirectories(dir);
      layout = ClusterLayout.fresh(nodes == null ? 3 : nodes);
    } else {
      if (nodes != null && nodes != layout.size()) {
        throw new IllegalArgumentException(
            "--data-dir "
                + dir
                + " holds a "
                + layout.size()
                + "-member cluster, not "
                + nodes
                + "; leave out --nodes or use another directory");
      }
      LOG.info("resuming the {}-member cluster in {}", layout.size(), dir);
      for (int i = 0; i < layout.size(); i++) {
        int raft = ClusterLayout.port(layout.peers().get(i));
        if (!ClusterLayout.isFree(raft)) {
          throw new IllegalStateException(
              "Raft port "
                  + raft
                  + " of "
                  + layout.id(i)
                  + " (kept in "
                  + dir.resolve(ClusterLayout.FILE)
                  + ") is in use: is this cluster already running?");
        }
      }
    }
    if (adminPortBase != null) {
      layout = layout.withAdminPortBase(adminPortBase);
    }
    layout.store(dir);
    return layout;
  }

  private ClusterLayout startNodes(Path dir, ClusterLayout layout) throws IOException {
    List<Integer> adminPorts = new ArrayList<>();
    for (int i = 0; i < layout.size(); i++) {
      int admin = layout.adminPorts().get(i);
      if (admin > 0 && adminPortBase == null && !ClusterLayout.isFree(admin)) {
        LOG.warn("admin port {} of {} is in use; picking another", admin, layout.id(i));
        admin = 0;
      }
      SequencerNode node =
          SequencerNode.builder()
              .nodeId(layout.id(i))
              .peers(layout.peers())
              .dataDir(dir.resolve(layout.id(i)))
              .adminPort(admin)
              .build();
      synchronized (this) {
        if (closing) {
          return layout;
        }
        running.add(node);
        node.start();
      }
      adminPorts.add(node.adminPort());
    }
    ClusterLayout started = layout.withAdminPorts(adminPorts);
    if (!started.equals(layout)) {
      started.store(dir);
    }
    return started;
  }

  /**
   * Waits for a leader that accepts proposals: one that has not yet committed an entry of its term
   * refuses them, and the Ratis client logs each refused attempt as an error.
   */
  private String awaitReadyLeader(GracefulStop stop) throws InterruptedException {
    long deadline = System.nanoTime() + LEADER_WAIT.toNanos();
    while (readyLeader() == null && System.nanoTime() < deadline && !stop.isStopped()) {
      Thread.sleep(50);
    }
    return leader();
  }

  private synchronized void startDemoLoad(ClusterLayout layout, String leader, PrintWriter out) {
    if (closing) {
      return;
    }
    // The client starts with the first peer; the leader first spares it a redirect.
    List<RaftPeer> peers = new ArrayList<>(layout.peers());
    peers.sort(Comparator.comparing(p -> !p.getId().toString().equals(leader)));
    client = SequencerClient.builder().peers(peers).maxInFlight(demoInFlight * 2).build();
    DemoLoad l = new DemoLoad(client, demoBatchSize, demoInFlight);
    load = l;
    l.start(demoRate, this::epochsApplied, this::leader, out);
  }

  /** The id of a leader that accepts proposals, or null. */
  private String readyLeader() {
    for (SequencerNode n : running) {
      if (n.isLeaderReady()) {
        return n.nodeId();
      }
    }
    return null;
  }

  /** Epochs applied by the most advanced member (epochs are numbered from 0). */
  private long epochsApplied() {
    return running.stream().mapToLong(n -> n.currentCommittedEpoch() + 1).max().orElse(0);
  }

  private String leader() {
    for (SequencerNode n : running) {
      String l = n.status().leaderId();
      if (l != null && !l.isEmpty()) {
        return l;
      }
    }
    return "none";
  }

  /** Stops the load, then the client, then the members. */
  private synchronized void shutdown() throws IOException, InterruptedException {
    closing = true;
    DemoLoad l = load;
    if (l != null) {
      l.stop();
    }
    SequencerClient c = client;
    if (c != null) {
      c.close();
    }
    // In parallel: one member at a time would leave the rest logging lost followers or calling
    // elections while they wait for their turn.
    List<Thread> closers = new ArrayList<>();
    List<Exception> failures = new CopyOnWriteArrayList<>();
    for (SequencerNode n : running) {
      Thread t =
          new Thread(
              () -> {
                try {
                  n.close();
                } catch (IOException | RuntimeException e) {
                  failures.add(e);
                }
              },
              "close-" + n.nodeId());
      t.start();
      closers.add(t);
    }
    for (Thread t : closers) {
      t.join();
    }
    if (!failures.isEmpty()) {
      IOException e = new IOException("closing " + failures.size() + " member(s) failed");
      failures.forEach(e::addSuppressed);
      throw e;
    }
  }

  private static boolean isEmpty(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isEmpty();
    }
  }
}
