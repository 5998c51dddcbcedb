package org.calvinseq.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.protocol.RaftPeer;
import org.calvinseq.client.SequencerClient;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.protocol.NodeStatus;
import org.calvinseq.server.SequencerNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A member running as its own OS process. Status and metrics come from its admin endpoint (which no
 * proxy sits in front of); replay from a client that knows only this peer, so that it reads this
 * node's log and no other.
 */
final class ProcessNode implements NodeHandle {
  private static final Logger LOG = LoggerFactory.getLogger(ProcessNode.class);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

  private final NodeLaunch launch;
  private final RaftPeer peer;
  private final Process process;
  private final Path log;
  private SequencerClient replayClient;

  private ProcessNode(NodeLaunch launch, RaftPeer peer, Process process, Path log) {
    this.launch = launch;
    this.peer = peer;
    this.process = process;
    this.log = log;
  }

  /** Starts the process; its output is appended to {@code log}. */
  static ProcessNode launch(
      NodeLaunch launch,
      RaftPeer peer,
      ProcessCommand command,
      Map<String, String> environment,
      Path log)
      throws IOException {
    List<String> cmd = command.command(launch);
    Files.createDirectories(log.getParent());
    Files.writeString(
        log,
        "=== " + String.join(" ", cmd) + System.lineSeparator(),
        StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND);
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().putAll(environment);
    Process p = pb.start();
    LOG.info("node {} started as process {} (output in {})", launch.nodeId(), p.pid(), log);
    return new ProcessNode(launch, peer, p, log);
  }

  /** Waits until the admin endpoint answers; fails with the output's tail if the process died. */
  void awaitReady(Duration timeout) {
    LocalCluster.await(
        timeout,
        () -> {
          if (!process.isAlive()) {
            throw new IllegalStateException(
                "node "
                    + launch.nodeId()
                    + " exited with code "
                    + process.exitValue()
                    + " while starting; its output ends with:\n"
                    + tail());
          }
          NodeStatus s = answer();
          if (s != null && !launch.nodeId().equals(s.nodeId())) {
            throw new IllegalStateException(
                "the admin port "
                    + launch.adminPort()
                    + " of node "
                    + launch.nodeId()
                    + " is answered by node "
                    + s.nodeId());
          }
          return s != null;
        },
        "node " + launch.nodeId() + " to serve its admin endpoint (output in " + log + ")");
  }

  /** True when the process has exited because a port it wanted was in use. */
  boolean exitedOnPortInUse() {
    return !process.isAlive() && tail().contains("Address already in use");
  }

  String tail() {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e + ")";
    }
  }

  /** This node's status, or null when it is down or something else answers on its admin port. */
  @Override
  public NodeStatus status() {
    NodeStatus s = answer();
    return s != null && launch.nodeId().equals(s.nodeId()) ? s : null;
  }

  /** Whatever answers on this node's admin port while its process lives. */
  private NodeStatus answer() {
    if (!process.isAlive()) {
      return null;
    }
    try {
      return AdminHttp.status(launch.adminPort());
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  @Override
  public String scrape() throws IOException {
    return AdminHttp.get(launch.adminPort(), "/metrics");
  }

  @Override
  public synchronized Iterator<SequencedTxn> replay(int vshard, long from, long to) {
    if (replayClient == null) {
      replayClient = SequencerClient.builder().peers(List.of(peer)).build();
    }
    return replayClient.replay(peer.getId(), vshard, from, to, SequencerClient.DEFAULT_PAGE_SIZE);
  }

  @Override
  public void stop() throws IOException {
    closeClient();
    process.destroy();
    try {
      if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        LOG.warn("node {} ignored SIGTERM for {}; killing it", launch.nodeId(), STOP_TIMEOUT);
        kill();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      kill();
    }
  }

  @Override
  public void kill() throws IOException {
    closeClient();
    process.destroyForcibly();
    try {
      if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        throw new IOException("node " + launch.nodeId() + " survived SIGKILL");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted waiting for node " + launch.nodeId() + " to die", e);
    }
  }

  private synchronized void closeClient() throws IOException {
    if (replayClient != null) {
      replayClient.close();
      replayClient = null;
    }
  }

  /** The process's exit status, or -1 while it runs. */
  int exitStatus() {
    return process.isAlive() ? -1 : process.exitValue();
  }

  @Override
  public boolean isAlive() {
    return process.isAlive();
  }

  @Override
  public int adminPort() {
    return launch.adminPort();
  }

  @Override
  public SequencerNode node() {
    return null;
  }

  @Override
  public OptionalLong pid() {
    return OptionalLong.of(process.pid());
  }

  Path log() {
    return log;
  }
}
