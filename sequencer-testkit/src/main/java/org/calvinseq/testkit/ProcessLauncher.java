package org.calvinseq.testkit;

import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts members as OS processes, all at once, and waits for each one's admin endpoint. Each launch
 * gets a fresh admin port.
 */
final class ProcessLauncher implements NodeLauncher {
  private static final Logger LOG = LoggerFactory.getLogger(ProcessLauncher.class);
  private static final int ATTEMPTS = 3;

  private final Members members;
  private final ProcessCommand command;
  private final Map<String, String> environment;
  private final Duration startTimeout;
  private final int[] adminPorts; // the port each member was last launched with

  ProcessLauncher(
      Members members,
      ProcessCommand command,
      Map<String, String> environment,
      Duration startTimeout) {
    this.members = members;
    this.command = command;
    this.environment = Map.copyOf(environment);
    this.startTimeout = startTimeout;
    this.adminPorts = new int[members.size()];
  }

  @Override
  public void start(List<Integer> which, Launched launched) throws IOException {
    ProcessNode[] started = new ProcessNode[members.size()];
    for (int i : which) {
      started[i] = launch(i);
      launched.launched(i, started[i]);
    }
    for (int i : which) {
      for (int attempt = 1; ; attempt++) {
        try {
          started[i].awaitReady(startTimeout);
          break;
        } catch (IllegalStateException e) {
          // Ports are picked free but not held until the process binds them, so another socket
          // can take one meanwhile; the node then exits at once, and a fresh port will do.
          if (attempt == ATTEMPTS || !started[i].exitedOnPortInUse()) {
            throw e;
          }
          LOG.warn("node {} found a port taken; starting it again on another", members.nodeId(i));
          started[i] = launch(i);
          launched.launched(i, started[i]);
        }
      }
    }
  }

  private ProcessNode launch(int i) throws IOException {
    int adminPort = freeAdminPort(i);
    adminPorts[i] = adminPort;
    NodeLaunch l =
        new NodeLaunch(
            i,
            members.nodeId(i),
            members.clusterName(),
            members.peersString(),
            members.dataDir(i),
            members.raftBindPort(i),
            adminPort);
    return ProcessNode.launch(l, members.peers().get(i), command, environment, members.logFile(i));
  }

  /**
   * A free port for member {@code i}'s admin endpoint that is none of the ports this cluster has
   * handed out: the other members' admin ports and the Raft ports (free while their node is down).
   */
  private int freeAdminPort(int i) throws IOException {
    Set<Integer> handedOut = new HashSet<>();
    for (int j = 0; j < members.size(); j++) {
      handedOut.add(members.bindPort(j));
      if (j != i) {
        handedOut.add(adminPorts[j]);
      }
    }
    for (int attempt = 0; attempt < 100; attempt++) {
      int port = FreePorts.pick("127.0.0.1", 1)[0];
      if (!handedOut.contains(port)) {
        return port;
      }
    }
    throw new IOException("no free port for the admin endpoint of " + members.nodeId(i));
  }

  @Override
  public void stopping(int index, NodeHandle node, boolean killed) {}

  @Override
  public boolean inProcess() {
    return false;
  }
}
