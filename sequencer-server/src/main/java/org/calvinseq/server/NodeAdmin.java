package org.calvinseq.server;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.calvinseq.client.Peers;
import org.calvinseq.core.apply.EpochStateMachine;
import org.calvinseq.core.codec.WireFormat;
import org.calvinseq.core.protocol.NodeStatus;
import org.calvinseq.server.admin.AdminServer;
import org.calvinseq.server.admin.CheckResult;
import org.calvinseq.server.admin.NodeReadiness;
import org.calvinseq.server.admin.ReadinessCheck;
import org.calvinseq.server.ratis.ServerMetrics;

/**
 * What a {@link SequencerNode} shows on its admin endpoint: the {@code /ready} checks and the
 * {@code /status} document, read from the node's Ratis state machine and core on the admin thread.
 */
final class NodeAdmin {
  /** The {@code started} check's reason in {@code /ready} while the Raft server starts. */
  static final String STARTING_REASON = "starting: loading log";

  private NodeAdmin() {}

  /** Starts the admin endpoint of {@code node} on its configured host and port. */
  static AdminServer start(SequencerNode node, MeterRegistry registry) throws IOException {
    if (!(registry instanceof PrometheusMeterRegistry prometheus)) {
      throw new IllegalStateException(
          "the admin endpoint needs a PrometheusMeterRegistry; this node was given "
              + registry.getClass().getName());
    }
    NodeConfig config = node.config();
    return AdminServer.builder()
        .meterRegistry(prometheus)
        .host(config.adminHost())
        .port(config.adminPort())
        .allowedClients(config.adminAllowedClients())
        .statusSource(() -> statusDocument(node))
        .readinessCheck(
            new ReadinessCheck(
                "started",
                () -> node.isStarted() ? CheckResult.pass() : CheckResult.fail(STARTING_REASON)))
        .readinessCheck(
            new ReadinessCheck(
                "has_leader",
                () ->
                    node.status().leaderId().isEmpty()
                        ? CheckResult.fail("no leader known")
                        : CheckResult.pass()))
        .readinessCheck(NodeReadiness.caughtUpCheck(() -> progress(node), config.readyMaxLag()))
        .readinessCheck(NodeReadiness.logWritableCheck(node::logFailureReason))
        .readinessCheck(
            new ReadinessCheck(
                "cluster_settings",
                () -> {
                  String m = node.clusterMismatchReason();
                  return m == null
                      ? CheckResult.pass()
                      : CheckResult.fail(m + "; the node has left the cluster");
                }))
        .readinessCheck(
            new ReadinessCheck("epochs_available", () -> epochsAvailable(node.core().nextEpoch())))
        .build()
        .start();
  }

  /**
   * Fails once the next epoch is above the last one ({@code WireFormat.MAX_EPOCH}): every batch is
   * then skipped as out of range. Unreachable in practice (it takes more than 9.2 billion batches
   * naming the farthest epoch allowed), but a state written by an older version that let one batch
   * name 2^63-2 is in it, and such a node must not look ready.
   */
  static CheckResult epochsAvailable(long nextEpoch) {
    return nextEpoch <= WireFormat.MAX_EPOCH
        ? CheckResult.pass()
        : CheckResult.fail(
            "next epoch "
                + nextEpoch
                + " is above the last epoch "
                + WireFormat.MAX_EPOCH
                + ": every batch is skipped as out of range");
  }

  /** Where the node stands against the leader's commit index, for {@code /ready}. */
  private static NodeReadiness.Progress progress(SequencerNode node) {
    NodeStatus s = node.status();
    return new NodeReadiness.Progress(
        s.lastAppliedIndex(), s.commitIndex(), node.stateMachine().leaderCommitIndex());
  }

  /** The {@code /status} document. */
  static Map<String, Object> statusDocument(SequencerNode node) {
    NodeConfig config = node.config();
    EpochStateMachine core = node.core();
    NodeStatus s = node.status();
    long leaderCommit = node.stateMachine().leaderCommitIndex();
    Map<String, Object> m = new LinkedHashMap<>();
    // The state machine learns its id only once the Raft server has started.
    m.put("nodeId", config.nodeId());
    m.put("state", node.isStarted() ? "running" : "starting");
    m.put("clusterName", config.clusterName());
    m.put("raftGroupId", Peers.groupId(config.clusterName()).getUuid().toString());
    m.put("role", s.role());
    m.put("leaderId", s.leaderId());
    m.put("term", s.term());
    m.put("lastAppliedEpoch", s.lastAppliedEpoch());
    m.put("lastAppliedIndex", s.lastAppliedIndex());
    m.put("commitIndex", s.commitIndex());
    m.put("leaderCommitIndex", leaderCommit);
    m.put(
        "lagBehindLeader",
        new NodeReadiness.Progress(s.lastAppliedIndex(), s.commitIndex(), leaderCommit).lag());
    m.put("readyMaxLag", config.readyMaxLag());
    m.put("logFailure", node.logFailureReason());
    m.put("clusterMismatch", node.clusterMismatchReason());
    m.put("nextEpoch", core.nextEpoch());
    m.put("firstReplayableEpoch", s.firstReplayableEpoch());
    m.put("vshardCount", s.vshardCount());
    m.put("vshardsBehind", core.subscriptions().behindCount());
    m.put("completionRetentionMs", config.completionRetention().toMillis());
    m.put("completionMaxEntries", config.completionMaxEntries());
    m.put("completionsEvictedThroughEpoch", core.completions().watermark().throughEpoch());
    m.put("raftAddress", config.self().getAddress());
    m.put("dataDir", config.dataDir().toString());
    m.put("version", ServerMetrics.VERSION);
    return m;
  }
}
