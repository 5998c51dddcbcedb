package org.calvinseq.client;

import java.util.Optional;
import org.apache.ratis.protocol.RaftPeerId;
import org.calvinseq.core.protocol.NodeStatus;

/**
 * One peer's answer to a status request of the whole cluster: its status, or why it gave none.
 *
 * @param peer the peer
 * @param address its Raft address
 * @param status what it reported, or null when it did not answer
 * @param error why it did not answer, or null
 * @param health the client's view of the peer after this request
 */
public record PeerStatus(
    RaftPeerId peer, String address, NodeStatus status, String error, PeerHealth.State health) {

  public boolean reachable() {
    return status != null;
  }

  public Optional<NodeStatus> nodeStatus() {
    return Optional.ofNullable(status);
  }
}
