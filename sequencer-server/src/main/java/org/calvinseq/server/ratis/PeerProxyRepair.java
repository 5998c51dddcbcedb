package org.calvinseq.server.ratis;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerRpc;
import org.apache.ratis.server.RaftServerRpcWithProxy;
import org.apache.ratis.util.PeerProxyMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Repairs the peer proxies that Ratis (3.2.2, and 3.3.0 still) leaves broken for good.
 *
 * <p>A node reaches each peer through a proxy (a gRPC client) created on first use. When that
 * creation fails with anything but an {@code IOException} (it happens when an election ends and
 * Ratis interrupts the vote requests still creating their clients), the proxy's life cycle ends in
 * {@code EXCEPTION}, and every later use fails with "ILLEGAL TRANSITION ... EXCEPTION -> STARTING":
 * this node can then never ask that peer for a vote, nor, as leader, send it entries. Two survivors
 * of a leader crash that broke their proxies to each other elect nobody, ever.
 *
 * <p>{@link #repair()} asks for every peer's proxy, and replaces each that is stuck that way with a
 * fresh one (Ratis's own reset). The node runs it every second; a healthy proxy costs a map lookup.
 * Remove it once Ratis lets a failed proxy start again.
 */
public final class PeerProxyRepair {
  private static final Logger LOG = LoggerFactory.getLogger(PeerProxyRepair.class);
  private static final String STUCK = "EXCEPTION -> STARTING";

  private final RaftServer server;
  private final RaftGroupId group;

  public PeerProxyRepair(RaftServer server, RaftGroupId group) {
    this.server = server;
    this.group = group;
  }

  /** Replaces every stuck peer proxy; returns the ids of those it replaced. */
  public List<RaftPeerId> repair() {
    List<RaftPeerId> repaired = new ArrayList<>();
    RaftServerRpc rpc = server.getServerRpc();
    if (!(rpc instanceof RaftServerRpcWithProxy<?, ?> withProxies)) {
      return repaired;
    }
    PeerProxyMap<?> proxies = withProxies.getProxies();
    Iterable<RaftPeer> peers;
    try {
      peers = server.getDivision(group).getRaftConf().getAllPeers();
    } catch (IOException notRunning) {
      return repaired;
    }
    for (RaftPeer peer : peers) {
      RaftPeerId id = peer.getId();
      if (id.equals(server.getId())) {
        continue;
      }
      try {
        proxies.getProxy(id);
      } catch (IllegalStateException e) {
        if (isStuck(e)) {
          LOG.warn("the proxy to peer {} is stuck ({}); replacing it", id, e.getMessage());
          proxies.resetProxy(id);
          repaired.add(id);
        }
      } catch (IOException | RuntimeException e) {
        // Closing, or a peer not in the map yet: nothing stuck to repair.
        LOG.debug("proxy to {} not checked: {}", id, e.toString());
      }
    }
    return repaired;
  }

  /** Whether {@code e} is the failure of a proxy whose life cycle is stuck in EXCEPTION. */
  static boolean isStuck(IllegalStateException e) {
    String message = e.getMessage();
    return message != null && message.contains(STUCK);
  }
}
