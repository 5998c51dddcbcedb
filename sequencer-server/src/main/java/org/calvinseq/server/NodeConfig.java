package org.calvinseq.server;

import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;
import org.apache.ratis.protocol.RaftPeer;
import org.calvinseq.client.Peers;
import org.calvinseq.core.codec.ProposalLimits;
import org.calvinseq.core.routing.VShardRouter;

/**
 * Everything a node is configured with. Built by {@link SequencerNodeBuilder}; validated there, so
 * a node never starts with settings that cannot work.
 *
 * @param nodeId this node's Raft peer id; must be one of {@code peers}
 * @param peers every member, with its Raft address
 * @param clusterName names the Raft group (nodes and clients must agree)
 * @param dataDir where this node keeps its Raft log and snapshots
 * @param adminHost the admin endpoint's bind address
 * @param adminPort the admin endpoint's port: 0 for ephemeral, -1 to disable
 * @param adminAllowedClients CIDR ranges allowed to reach the admin endpoint; empty for any
 * @param vshardCount fixed for the cluster's life
 * @param hosted vshards hosted here, or null for all
 * @param queueCapacity per-vshard queue bound
 * @param limits proposal limits enforced by the leader
 * @param snapshotEvery take a snapshot after this many applied entries
 * @param replayRetention how many of the newest log entries survive a purge, for replay
 * @param logSegmentBytes Raft log segment size (purging works a segment at a time)
 * @param electionTimeoutMin lower bound of the randomized election timeout
 * @param electionTimeoutMax upper bound of the randomized election timeout
 * @param raftBindPort the port the Raft server listens on, or -1 (the default) for the port of this
 *     node's own peer address; differs from it only when something (a proxy, a NAT) sits between
 *     the address the peers dial and the node
 * @param readyMaxLag how many committed entries the node may trail the leader's commit index by and
 *     still answer {@code /ready} with 200
 * @param completionRetention how long, in epoch time, a txn's completion-ack state is kept after
 *     its first ack; affects the apply path, so every member must use the same value
 * @param completionMaxEntries the most txns whose completion-ack state is kept at once (oldest
 *     evicted first); affects the apply path, so every member must use the same value
 */
public record NodeConfig(
    String nodeId,
    List<RaftPeer> peers,
    String clusterName,
    Path dataDir,
    String adminHost,
    int adminPort,
    List<String> adminAllowedClients,
    int vshardCount,
    BitSet hosted,
    int queueCapacity,
    ProposalLimits limits,
    long snapshotEvery,
    long replayRetention,
    long logSegmentBytes,
    Duration electionTimeoutMin,
    Duration electionTimeoutMax,
    int raftBindPort,
    long readyMaxLag,
    Duration completionRetention,
    int completionMaxEntries) {

  public static final int DEFAULT_QUEUE_CAPACITY = 65_536;
  public static final long DEFAULT_SNAPSHOT_EVERY = 10_000;
  public static final long DEFAULT_REPLAY_RETENTION = 100_000;
  public static final long DEFAULT_LOG_SEGMENT_BYTES = 32L * 1024 * 1024;
  public static final Duration DEFAULT_ELECTION_MIN = Duration.ofMillis(1000);
  public static final Duration DEFAULT_ELECTION_MAX = Duration.ofMillis(2000);
  public static final long DEFAULT_READY_MAX_LAG = 1000;
  public static final Duration DEFAULT_COMPLETION_RETENTION = Duration.ofMinutes(10);
  public static final int DEFAULT_COMPLETION_MAX_ENTRIES = 1_000_000;

  public NodeConfig {
    Objects.requireNonNull(nodeId, "nodeId");
    peers = List.copyOf(peers);
    adminAllowedClients = List.copyOf(adminAllowedClients);
    Objects.requireNonNull(dataDir, "dataDir");
    if (peers.stream().noneMatch(p -> p.getId().toString().equals(nodeId))) {
      throw new IllegalArgumentException(
          "node id " + nodeId + " is not among the peers " + Peers.format(peers));
    }
    if (vshardCount < 1) {
      throw new IllegalArgumentException("vshardCount must be >= 1: " + vshardCount);
    }
    if (hosted != null && hosted.length() > vshardCount) {
      throw new IllegalArgumentException(
          "hosted vshards (--hosted) go up to "
              + (hosted.length() - 1)
              + ", but the vshard count (--vshards) is "
              + vshardCount
              + ": vshards are numbered 0.."
              + (vshardCount - 1));
    }
    if (queueCapacity < 1 || snapshotEvery < 1 || replayRetention < 0 || logSegmentBytes < 1024) {
      throw new IllegalArgumentException(
          "queueCapacity and snapshotEvery must be >= 1, replayRetention >= 0, logSegmentBytes >= 1024");
    }
    if (electionTimeoutMin.compareTo(electionTimeoutMax) >= 0
        || electionTimeoutMin.toMillis() < 10) {
      throw new IllegalArgumentException(
          "election timeout must satisfy 10ms <= min < max: "
              + electionTimeoutMin
              + ", "
              + electionTimeoutMax);
    }
    if (adminPort < -1 || adminPort > 65535) {
      throw new IllegalArgumentException("adminPort must be -1 (off), 0 (ephemeral) or a port");
    }
    if (raftBindPort < -1 || raftBindPort > 65535) {
      throw new IllegalArgumentException(
          "raftBindPort must be -1 (the peer address's port), 0 (ephemeral) or a port");
    }
    if (readyMaxLag < 0) {
      throw new IllegalArgumentException("readyMaxLag must be >= 0: " + readyMaxLag);
    }
    Objects.requireNonNull(completionRetention, "completionRetention");
    if (completionRetention.isNegative() || completionRetention.toMillis() < 1) {
      throw new IllegalArgumentException(
          "completionRetention must be >= 1 ms: " + completionRetention);
    }
    if (completionMaxEntries < 1) {
      throw new IllegalArgumentException(
          "completionMaxEntries must be >= 1: " + completionMaxEntries);
    }
  }

  public RaftPeer self() {
    return peers.stream()
        .filter(p -> p.getId().toString().equals(nodeId))
        .findFirst()
        .orElseThrow();
  }

  static int defaultVshardCount() {
    return VShardRouter.DEFAULT_VSHARD_COUNT;
  }
}
