package org.calvinseq.server.ratis;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.calvinseq.core.metrics.SequencerMetrics;
import org.calvinseq.core.protocol.NodeStatus;

/**
 * The server's meters (DESIGN section 7, server side), registered once at start-up next to the
 * core's {@link SequencerMetrics}: Raft role and term, proposals by outcome, propose-to-commit
 * latency, replay, snapshots, build info, and the JVM and process binders.
 */
public final class ServerMetrics implements AutoCloseable {
  public static final String VERSION =
      java.util.Objects.requireNonNullElse(
          ServerMetrics.class.getPackage().getImplementationVersion(), "dev");

  private final SequencerMetrics core;
  private final Counter accepted;
  private final Counter rejected;
  private final Counter leaderChanges;
  private final Counter applyFailures;
  private final Counter proxyRepairs;
  private final Counter snapshots;
  private final Counter snapshotsInstalled;
  private final Counter replayRequests;
  private final Counter replayTxns;
  private final Timer replayTime;
  private final Timer commitTime;
  private final java.util.concurrent.atomic.AtomicLong pending =
      new java.util.concurrent.atomic.AtomicLong();
  private JvmGcMetrics gc;

  @SuppressWarnings({"unused", "FieldCanBeLocal"}) // keeps the weakly referenced meter source alive
  private final RatisMetricsBridge ratisBridge;

  public ServerMetrics(MeterRegistry registry, String nodeId) {
    this.core = new SequencerMetrics(registry);
    accepted = proposals(registry, "accepted");
    rejected = proposals(registry, "rejected");
    applyFailures =
        Counter.builder("sequencer.apply.failures")
            .description("Log entries whose apply threw (a bug) and that were skipped")
            .register(registry);
    leaderChanges =
        Counter.builder("sequencer.raft.leader.changes")
            .description("Leader changes seen by this node")
            .register(registry);
    proxyRepairs =
        Counter.builder("sequencer.raft.peer.proxy.repairs")
            .description("Peer proxies found stuck after a failed creation and replaced")
            .register(registry);
    snapshots =
        Counter.builder("sequencer.snapshots").description("Snapshots taken").register(registry);
    snapshotsInstalled =
        Counter.builder("sequencer.snapshots.installed")
            .description(
                "Snapshots installed from the leader (this node had fallen too far behind)")
            .register(registry);
    replayRequests =
        Counter.builder("sequencer.replay.requests")
            .description("Replay pages served (local and remote)")
            .register(registry);
    replayTxns =
        Counter.builder("sequencer.replay.txns")
            .description("Txns served by replay pages")
            .register(registry);
    replayTime =
        Timer.builder("sequencer.replay")
            .description("Time to serve one replay page")
            .serviceLevelObjectives(
                Duration.ofMillis(1), Duration.ofMillis(10), Duration.ofMillis(100))
            .register(registry);
    commitTime =
        Timer.builder("sequencer.propose.commit")
            .description("Leader: time from accepting a proposal to applying it")
            .serviceLevelObjectives(
                Duration.ofMillis(1),
                Duration.ofMillis(5),
                Duration.ofMillis(10),
                Duration.ofMillis(50),
                Duration.ofMillis(100),
                Duration.ofMillis(500))
            .register(registry);
    Gauge.builder(
            "sequencer.proposals.pending", pending, java.util.concurrent.atomic.AtomicLong::get)
        .description("Leader: proposals accepted but not yet applied")
        .register(registry);
    Gauge.builder("sequencer.build.info", () -> 1)
        .description("Constant 1; the labels say which build and node answer")
        .tag("version", VERSION)
        .tag("node", nodeId)
        .register(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    gc = new JvmGcMetrics();
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new CpuMetrics().bindTo(registry); // ProcessorMetrics under promtool-clean names
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    ratisBridge = RatisMetricsBridge.bind(registry, nodeId);
  }

  /** Gauges that read the node's Raft status. */
  public void bindRaft(MeterRegistry registry, Supplier<NodeStatus> status) {
    Gauge.builder("sequencer.raft.has.leader", () -> status.get().leaderId().isEmpty() ? 0 : 1)
        .description("1 when this node knows a leader")
        .register(registry);
    Gauge.builder("sequencer.raft.is.leader", () -> "LEADER".equals(status.get().role()) ? 1 : 0)
        .description("1 when this node is the leader")
        .register(registry);
    Gauge.builder("sequencer.raft.term", () -> status.get().term())
        .description("Current Raft term")
        .register(registry);
    Gauge.builder("sequencer.raft.commit.index", () -> status.get().commitIndex())
        .description("Raft commit index known to this node")
        .register(registry);
  }

  /**
   * Gauges of the node's readiness: the leader's commit index as this node knows it, and whether
   * its Raft log has failed to write.
   */
  public void bindReadiness(
      MeterRegistry registry,
      java.util.function.LongSupplier leaderCommitIndex,
      java.util.function.BooleanSupplier logFailed) {
    Gauge.builder("sequencer.raft.leader.commit.index", () -> leaderCommitIndex.getAsLong())
        .description(
            "Highest commit index this node knows of in its group (the leader's); -1 when unknown")
        .register(registry);
    Gauge.builder("sequencer.raft.log.failed", () -> logFailed.getAsBoolean() ? 1 : 0)
        .description(
            "1 once a write of this node's Raft log has failed: the node must be restarted")
        .register(registry);
  }

  private static Counter proposals(MeterRegistry registry, String outcome) {
    return Counter.builder("sequencer.proposals")
        .description("Proposals validated by this node as leader, by outcome")
        .tag("outcome", outcome)
        .register(registry);
  }

  public SequencerMetrics core() {
    return core;
  }

  void proposalAccepted() {
    accepted.increment();
    pending.incrementAndGet();
  }

  /** A proposal this node accepted as leader was applied, or dropped when it stepped down. */
  void proposalDone(int n) {
    pending.updateAndGet(p -> Math.max(0, p - n));
  }

  void proposalRejected() {
    rejected.increment();
  }

  void leaderChanged() {
    leaderChanges.increment();
  }

  /** Counts {@code n} peer proxies replaced by {@link PeerProxyRepair}. */
  public void peerProxiesRepaired(int n) {
    proxyRepairs.increment(n);
  }

  void applyFailed() {
    applyFailures.increment();
  }

  void snapshotTaken() {
    snapshots.increment();
  }

  void snapshotInstalled() {
    snapshotsInstalled.increment();
  }

  void applied(long nanos) {
    core.applyTimer().record(nanos, TimeUnit.NANOSECONDS);
  }

  void committed(long nanos) {
    commitTime.record(nanos, TimeUnit.NANOSECONDS);
  }

  void replayed(int txns, long nanos) {
    replayRequests.increment();
    replayTxns.increment(txns);
    replayTime.record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void close() {
    if (gc != null) {
      gc.close();
    }
  }
}
