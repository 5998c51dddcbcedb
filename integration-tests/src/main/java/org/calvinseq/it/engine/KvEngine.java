package org.calvinseq.it.engine;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.calvinseq.client.SequencerClient;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.server.SequencerNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tiny deterministic key-value storage engine that embeds a {@link SequencerNode}: the reference
 * for engine authors (walked through in {@code docs/embedding.md}).
 *
 * <p>One {@link VShardScheduler} thread per hosted vshard applies that vshard's txns in order to
 * its {@link KvState}, acks each, and checkpoints the state with the last applied txn. On start
 * each scheduler loads its checkpoint and subscribes after it, so a restart (clean or not) replays
 * exactly what the checkpoint lacks.
 *
 * <pre>{@code
 * try (SequencerNode node = ...; KvEngine engine = KvEngine.builder()
 *     .node(node).dir(Path.of("/var/lib/kv")).build()) {
 *   node.start();
 *   engine.start();
 *   ...
 * }
 * }</pre>
 *
 * <p>Metrics (in the node's registry, so its {@code /metrics} shows them): {@code
 * kv_engine_through_epoch} (every vshard has applied everything up to it), {@code kv_engine_digest}
 * (48 bits of the state's hash, equal on replicas at the same epoch), {@code kv_engine_applied},
 * {@code kv_engine_order_violations_total}, {@code kv_engine_rebuilds_total{source}}.
 */
public final class KvEngine implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KvEngine.class);

  private final SequencerNode node;
  private final Path dir;
  private final List<Path> peerDirs;
  private final int checkpointEvery;
  private final long idleCheckpointNanos;
  private final DeliveryListener listener;
  private final Map<Integer, VShardScheduler> schedulers = new TreeMap<>();
  private final Map<Integer, Throwable> failures = new ConcurrentHashMap<>();
  private final AtomicLong applied = new AtomicLong();
  private final List<Meter> meters = new ArrayList<>();
  private final Counter violations;
  private final Counter redeliveries;
  private final Counter remoteRebuilds;
  private final Counter peerAdoptions;
  private boolean started;
  private boolean closed;
  private final Object clientLock = new Object(); // not the engine's: stop() joins schedulers
  private SequencerClient client; // for remote replay; created on first use

  private KvEngine(Builder b) {
    this.node = Objects.requireNonNull(b.node, "node");
    this.dir = Objects.requireNonNull(b.dir, "dir");
    this.peerDirs = List.copyOf(b.peerDirs);
    this.checkpointEvery = b.checkpointEvery;
    this.idleCheckpointNanos = b.idleCheckpoint.toNanos();
    this.listener = b.listener;
    node.hostedVShards().stream().forEach(v -> schedulers.put(v, new VShardScheduler(this, v)));
    MeterRegistry r = node.meterRegistry();
    this.violations = register(Counter.builder("kv.engine.order.violations").register(r));
    this.redeliveries = register(Counter.builder("kv.engine.redeliveries").register(r));
    this.remoteRebuilds =
        register(Counter.builder("kv.engine.rebuilds").tag("source", "remote_replay").register(r));
    this.peerAdoptions =
        register(
            Counter.builder("kv.engine.rebuilds").tag("source", "peer_checkpoint").register(r));
    register(Gauge.builder("kv.engine.through.epoch", this::throughEpoch).register(r));
    register(Gauge.builder("kv.engine.digest", () -> digest() & 0xFFFF_FFFF_FFFFL).register(r));
    register(Gauge.builder("kv.engine.applied", this::appliedTotal).register(r));
  }

  public static Builder builder() {
    return new Builder();
  }

  private <M extends Meter> M register(M m) {
    meters.add(m);
    return m;
  }

  /** Loads every vshard's checkpoint and starts its scheduler; the node must be started. */
  public synchronized KvEngine start() throws IOException {
    if (started) {
      throw new IllegalStateException("already started");
    }
    started = true;
    Files.createDirectories(dir);
    for (VShardScheduler s : schedulers.values()) {
      s.start();
    }
    LOG.info("kv engine on {} started: {} vshards in {}", node.nodeId(), schedulers.size(), dir);
    return this;
  }

  /** Every hosted vshard has applied every txn up to this epoch (-1: not even epoch 0). */
  public long throughEpoch() {
    long min = Long.MAX_VALUE;
    for (VShardScheduler s : schedulers.values()) {
      min = Math.min(min, s.throughEpoch());
    }
    return schedulers.isEmpty() ? -1 : min;
  }

  /** A hash of every vshard's state: equal on replicas that applied the same txns. */
  public long digest() {
    long d = 17;
    for (Map.Entry<Integer, VShardScheduler> e : schedulers.entrySet()) {
      d = KvState.mix(KvState.mix(d, e.getKey()), e.getValue().digest());
    }
    return d;
  }

  /** Each vshard's digest, for a diagnosis when replicas differ. */
  public Map<Integer, Long> vshardDigests() {
    Map<Integer, Long> out = new TreeMap<>();
    schedulers.forEach((v, s) -> out.put(v, s.digest()));
    return out;
  }

  /** Txns in the states of all vshards (a txn on two vshards counts twice). */
  public long appliedTotal() {
    long n = 0;
    for (VShardScheduler s : schedulers.values()) {
      n += s.appliedCount();
    }
    return n;
  }

  /** Txns applied by this engine instance (not counting its checkpoints' history). */
  public long appliedHere() {
    return applied.get();
  }

  public long orderViolations() {
    return (long) violations.count();
  }

  public long redeliveries() {
    return (long) redeliveries.count();
  }

  public long remoteRebuilds() {
    return (long) remoteRebuilds.count();
  }

  public long peerAdoptions() {
    return (long) peerAdoptions.count();
  }

  /** Vshards whose scheduler died, with why. Empty in a healthy engine. */
  public Map<Integer, Throwable> failures() {
    return Map.copyOf(failures);
  }

  /** Stops consuming {@code vshard} (its queue fills and overflows) until {@link #resume}. */
  public void pause(int vshard) {
    scheduler(vshard).pause(true);
  }

  public void resume(int vshard) {
    scheduler(vshard).pause(false);
  }

  public SequencerNode node() {
    return node;
  }

  /**
   * The engine's own client of the node's cluster, for replaying a range from a peer; created on
   * first use, closed with the engine. Plaintext: the example engine runs without TLS.
   */
  SequencerClient client() {
    synchronized (clientLock) {
      if (client == null) {
        client =
            SequencerClient.builder()
                .peers(node.config().peers())
                .clusterName(node.config().clusterName())
                .build();
      }
      return client;
    }
  }

  /** Stops the schedulers and writes a last checkpoint of each vshard. */
  @Override
  public void close() {
    stop(false);
  }

  /**
   * Stops the schedulers without a last checkpoint, losing what was applied since the previous one,
   * as a crash would: the in-JVM stand-in for SIGKILL.
   */
  public void crash() {
    stop(true);
  }

  private synchronized void stop(boolean crash) {
    if (closed) {
      return;
    }
    closed = true;
    if (started) {
      for (VShardScheduler s : schedulers.values()) {
        s.stop(crash);
      }
    }
    for (Meter m : meters) {
      node.meterRegistry().remove(m);
    }
    synchronized (clientLock) {
      try {
        if (client != null) {
          client.close();
        }
      } catch (IOException e) {
        LOG.warn("kv engine on {}: closing its client failed: {}", node.nodeId(), e.toString());
      }
      client = null;
    }
    LOG.info("kv engine on {} {}", node.nodeId(), crash ? "crashed" : "closed");
  }

  private VShardScheduler scheduler(int vshard) {
    VShardScheduler s = schedulers.get(vshard);
    if (s == null) {
      throw new IllegalArgumentException("vshard " + vshard + " is not hosted here");
    }
    return s;
  }

  // ---- for the schedulers ----

  Path dir() {
    return dir;
  }

  List<Path> peerDirs() {
    return peerDirs;
  }

  int checkpointEvery() {
    return checkpointEvery;
  }

  long idleCheckpointNanos() {
    return idleCheckpointNanos;
  }

  DeliveryListener listener() {
    return listener;
  }

  void applied() {
    applied.incrementAndGet();
  }

  void redelivered() {
    redeliveries.increment();
  }

  void rebuiltRemotely() {
    remoteRebuilds.increment();
  }

  void adoptedPeerCheckpoint() {
    peerAdoptions.increment();
  }

  void orderViolation(int vshard, SequencedTxn t, TxnId last) {
    violations.increment();
    LOG.error(
        "vshard {} on {}: got {} after {}: out of order", vshard, node.nodeId(), t.id(), last);
  }

  void failed(int vshard, Throwable t) {
    failures.put(vshard, t);
  }

  /** Engine settings. */
  public static final class Builder {
    private SequencerNode node;
    private Path dir;
    private List<Path> peerDirs = List.of();
    private int checkpointEvery = 500;
    private Duration idleCheckpoint = Duration.ofMillis(500);
    private DeliveryListener listener = DeliveryListener.NONE;

    /** The node to consume; every vshard it hosts gets a scheduler. */
    public Builder node(SequencerNode node) {
      this.node = node;
      return this;
    }

    /** Where the checkpoints live. */
    public Builder dir(Path dir) {
      this.dir = dir;
      return this;
    }

    /**
     * Checkpoint directories of the other replicas, read when this node no longer holds a range a
     * vshard missed and no peer can replay it. A real engine would fetch them over its network.
     */
    public Builder peerDirs(List<Path> dirs) {
      this.peerDirs = List.copyOf(dirs);
      return this;
    }

    /** Checkpoint a vshard after this many txns (and when idle); default 500. */
    public Builder checkpointEvery(int txns) {
      if (txns < 1) {
        throw new IllegalArgumentException("checkpointEvery must be >= 1");
      }
      this.checkpointEvery = txns;
      return this;
    }

    /** Checkpoint a vshard that changed and then stayed idle this long; default 500 ms. */
    public Builder idleCheckpoint(Duration d) {
      this.idleCheckpoint = d;
      return this;
    }

    public Builder listener(DeliveryListener l) {
      this.listener = l;
      return this;
    }

    public KvEngine build() {
      return new KvEngine(this);
    }
  }
}
