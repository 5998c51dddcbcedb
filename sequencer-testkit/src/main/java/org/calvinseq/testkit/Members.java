package org.calvinseq.testkit;

import java.nio.file.Path;
import java.util.List;
import org.apache.ratis.protocol.RaftPeer;
import org.calvinseq.client.Peers;

/**
 * Where each member of a {@link LocalCluster} lives: its id, the address its peers dial, the port
 * its Raft server binds when a proxy sits in front of it, its data directory and its output file.
 */
final class Members {
  private final String clusterName;
  private final List<RaftPeer> peers;
  private final int[] bindPorts;
  private final boolean proxied;
  private final Path root;
  private final Path logDir;

  Members(
      String clusterName,
      List<RaftPeer> peers,
      int[] bindPorts,
      boolean proxied,
      Path root,
      Path logDir) {
    this.clusterName = clusterName;
    this.peers = List.copyOf(peers);
    this.bindPorts = bindPorts.clone();
    this.proxied = proxied;
    this.root = root;
    this.logDir = logDir;
  }

  String clusterName() {
    return clusterName;
  }

  List<RaftPeer> peers() {
    return peers;
  }

  String peersString() {
    return Peers.format(peers);
  }

  int size() {
    return peers.size();
  }

  String nodeId(int i) {
    return peers.get(i).getId().toString();
  }

  /** The port member {@code i}'s Raft server binds behind its proxy, or -1 without proxies. */
  int raftBindPort(int i) {
    return proxied ? bindPorts[i] : -1;
  }

  /** The Raft server ports the members bind, free while their member is down. */
  int bindPort(int i) {
    return bindPorts[i];
  }

  Path dataDir(int i) {
    return root.resolve(nodeId(i));
  }

  Path logFile(int i) {
    return logDir.resolve(nodeId(i) + ".log");
  }
}
