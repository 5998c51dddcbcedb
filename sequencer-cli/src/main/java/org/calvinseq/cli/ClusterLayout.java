package org.calvinseq.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.calvinseq.client.Peers;
import org.calvinseq.testkit.FreePorts;

/**
 * Where the members of a {@code local-cluster} live: ids, Raft ports and admin ports, kept in
 * {@value #FILE} in its data directory. A restart must reuse the Raft addresses, because the Raft
 * log and snapshots name them; the admin ports are reused so that scrapers keep working.
 *
 * @param peers the members, {@code n1..nN} on 127.0.0.1
 * @param adminPorts each member's admin port; 0 for "pick a free one"
 */
record ClusterLayout(List<RaftPeer> peers, List<Integer> adminPorts) {
  static final String FILE = "local-cluster.properties";
  static final String HOST = "127.0.0.1";

  ClusterLayout {
    peers = List.copyOf(peers);
    adminPorts = List.copyOf(adminPorts);
    if (peers.size() != adminPorts.size()) {
      throw new IllegalArgumentException("one admin port per peer");
    }
  }

  int size() {
    return peers.size();
  }

  String id(int i) {
    return peers.get(i).getId().toString();
  }

  String peersString() {
    return Peers.format(peers);
  }

  /** A new layout of {@code nodes} members on free loopback ports. */
  static ClusterLayout fresh(int nodes) throws IOException {
    int[] ports = freePorts(nodes);
    List<RaftPeer> peers = new ArrayList<>();
    List<Integer> admin = new ArrayList<>();
    for (int i = 0; i < nodes; i++) {
      peers.add(
          RaftPeer.newBuilder()
              .setId(RaftPeerId.valueOf("n" + (i + 1)))
              .setAddress(HOST + ":" + ports[i])
              .build());
      admin.add(0);
    }
    return new ClusterLayout(peers, admin);
  }

  /** The layout stored in {@code dir}, or null when there is none. */
  static ClusterLayout load(Path dir) throws IOException {
    Path f = dir.resolve(FILE);
    if (!Files.exists(f)) {
      return null;
    }
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(f)) {
      p.load(in);
    }
    try {
      List<RaftPeer> peers = Peers.parse(p.getProperty("peers"));
      String adminText = p.getProperty("admin-ports", "");
      List<Integer> admin =
          adminText.isBlank()
              ? peers.stream().map(x -> 0).collect(Collectors.toList())
              : Stream.of(adminText.split(","))
                  .map(s -> Integer.parseInt(s.strip()))
                  .collect(Collectors.toList());
      return new ClusterLayout(peers, admin);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(
          f + " is damaged (" + e.getMessage() + "); start with a new --data-dir", e);
    }
  }

  /** Writes this layout to {@code dir} (atomically, so a crash leaves the old or the new one). */
  void store(Path dir) throws IOException {
    Properties p = new Properties();
    p.setProperty("nodes", Integer.toString(size()));
    p.setProperty("peers", peersString());
    p.setProperty(
        "admin-ports", adminPorts.stream().map(String::valueOf).collect(Collectors.joining(",")));
    Path tmp = dir.resolve(FILE + ".tmp");
    try (OutputStream out = Files.newOutputStream(tmp)) {
      p.store(out, "calvinseq local-cluster: the ports a restart on this directory reuses");
    }
    Files.move(tmp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE);
  }

  ClusterLayout withAdminPorts(List<Integer> ports) {
    return new ClusterLayout(peers, ports);
  }

  /** Ports {@code base, base+1, ...}, one per member. */
  ClusterLayout withAdminPortBase(int base) {
    List<Integer> ports = new ArrayList<>();
    for (int i = 0; i < size(); i++) {
      ports.add(base + i);
    }
    return withAdminPorts(ports);
  }

  /** Port of an address {@code host:port}. */
  static int port(RaftPeer peer) {
    String a = peer.getAddress();
    return Integer.parseInt(a.substring(a.lastIndexOf(':') + 1));
  }

  /** True when nothing listens on {@code port} of the loopback address. */
  static boolean isFree(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(HOST, port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Distinct free ports, all held open until every one is chosen. */
  private static int[] freePorts(int n) throws IOException {
    return FreePorts.pick(HOST, n);
  }
}
