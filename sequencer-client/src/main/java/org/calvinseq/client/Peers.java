package org.calvinseq.client;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;

/**
 * The peers string every command takes: {@code id@host:port,id@host:port,...} (the Raft address of
 * each member). The Raft group id is derived from the cluster name, so nodes and clients that agree
 * on the name agree on the group.
 */
public final class Peers {
  public static final String DEFAULT_CLUSTER = "calvinseq";

  private Peers() {}

  /**
   * Parses a peers string.
   *
   * @throws IllegalArgumentException naming the bad element
   */
  public static List<RaftPeer> parse(String peers) {
    if (peers == null || peers.isBlank()) {
      throw new IllegalArgumentException("peers must not be empty (form: id@host:port,...)");
    }
    List<RaftPeer> out = new ArrayList<>();
    for (String part : peers.split(",")) {
      String p = part.trim();
      int at = p.indexOf('@');
      int colon = p.lastIndexOf(':');
      if (at <= 0 || colon < at + 2 || colon == p.length() - 1) {
        throw new IllegalArgumentException(
            "bad peer '" + p + "': expected id@host:port, e.g. n1@127.0.0.1:7001");
      }
      try {
        int port = Integer.parseInt(p.substring(colon + 1));
        if (port < 1 || port > 65535) {
          throw new NumberFormatException("out of range");
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bad port in peer '" + p + "'", e);
      }
      out.add(
          RaftPeer.newBuilder()
              .setId(RaftPeerId.valueOf(p.substring(0, at)))
              .setAddress(p.substring(at + 1))
              .build());
    }
    if (out.stream().map(RaftPeer::getId).distinct().count() != out.size()) {
      throw new IllegalArgumentException("duplicate peer id in '" + peers + "'");
    }
    return out;
  }

  /**
   * The member ids of a peers string, in its order.
   *
   * @throws IllegalArgumentException as {@link #parse(String)}
   */
  public static List<String> ids(String peers) {
    return parse(peers).stream().map(p -> p.getId().toString()).toList();
  }

  /** Formats peers back into the peers string. */
  public static String format(List<RaftPeer> peers) {
    StringBuilder sb = new StringBuilder();
    for (RaftPeer p : peers) {
      if (sb.length() > 0) {
        sb.append(',');
      }
      sb.append(p.getId()).append('@').append(p.getAddress());
    }
    return sb.toString();
  }

  /**
   * The Raft group id of the cluster named {@code clusterName}: the name-based (version 3, MD5)
   * UUID of the UTF-8 bytes of {@code "calvinseq:" + clusterName}, as {@link
   * UUID#nameUUIDFromBytes} computes it; {@code calvinseq} gives {@code
   * 30e87bda-4160-3a20-ac8d-ca2c0e4ba05b}. Shown in {@code /status} ({@code raftGroupId}) and by
   * {@code sequencer status}; tools such as ratis-shell take it as {@code -groupid}.
   */
  public static RaftGroupId groupId(String clusterName) {
    return RaftGroupId.valueOf(
        UUID.nameUUIDFromBytes(("calvinseq:" + clusterName).getBytes(StandardCharsets.UTF_8)));
  }

  public static RaftGroup group(String clusterName, List<RaftPeer> peers) {
    return RaftGroup.valueOf(groupId(clusterName), peers);
  }
}
