package org.calvinseq.it.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.ratis.protocol.RaftPeerId;
import org.calvinseq.client.PeerStatus;
import org.calvinseq.client.SequencerClient;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.protocol.NodeStatus;
import org.calvinseq.core.queue.VShardConsumer;
import org.calvinseq.core.replay.ReplayUnavailableException;
import org.calvinseq.core.routing.Participants;
import org.calvinseq.core.routing.VShardRouter;
import org.calvinseq.server.SequencerNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scheduler of one vshard: a single thread that takes the vshard's txns from its consumer in
 * (epoch, position) order, executes each against the vshard's {@link KvState}, acks it, and
 * checkpoints now and then.
 *
 * <p>Falling behind is the consumer's business: when its queue overflowed, {@link
 * VShardConsumer#poll()} replays what was skipped from the node's log and then returns to live
 * delivery, so this loop never notices. What it must handle is a range the node no longer holds
 * (its log was purged past this vshard, or it installed a snapshot from the leader): then it asks a
 * peer that still holds the range ({@link #rebuildRemotely}), and if none does, takes a newer
 * checkpoint from a peer replica ({@link #adoptPeerCheckpoint}).
 */
final class VShardScheduler implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(VShardScheduler.class);

  private final KvEngine engine;
  private final SequencerNode node;
  private final VShardRouter router;
  private final int vshard;
  private final Thread thread;
  private volatile KvState state;
  private VShardConsumer consumer;
  private int sinceCheckpoint;
  private long checkpointedThrough = Long.MIN_VALUE;
  private long lastCheckpointNanos = System.nanoTime();
  private volatile boolean running = true;
  private volatile boolean crashed;
  private volatile boolean paused;
  private volatile long digest;
  private volatile long appliedCount;

  VShardScheduler(KvEngine engine, int vshard) {
    this.engine = engine;
    this.node = engine.node();
    this.router = node.core().router();
    this.vshard = vshard;
    this.thread = new Thread(this, "kv-" + node.nodeId() + "-vshard-" + vshard);
    thread.setDaemon(true);
  }

  /** Loads the checkpoint, subscribes after it and starts the thread. */
  void start() throws IOException {
    KvState saved = Checkpoints.read(engine.dir(), vshard);
    state = saved != null ? saved : new KvState(vshard);
    publish();
    subscribe();
    thread.start();
  }

  private void subscribe() {
    // The checkpoint may stop in the middle of an epoch: subscribe after the last complete one
    // and skip the txns of the next that were applied already (hasApplied below).
    consumer = node.subscribe(vshard, state.throughEpoch());
    engine.listener().subscribed(node.nodeId(), vshard, state.throughEpoch(), state.last());
  }

  @Override
  public void run() {
    int idle = 0;
    try {
      while (running) {
        if (paused) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
          continue;
        }
        // Read before polling: if the poll finds nothing and the consumer is not behind, every
        // txn of this vshard up to this epoch has been handed out.
        long committed = node.currentCommittedEpoch();
        SequencedTxn t;
        try {
          t = consumer.poll();
        } catch (ReplayUnavailableException e) {
          rebuild(e);
          continue;
        }
        if (t != null) {
          execute(t);
          idle = 0;
          continue;
        }
        if (!consumer.isBehind()) {
          state.advanceThrough(committed);
        }
        checkpointIfIdle();
        idle = Math.min(idle + 1, 20);
        LockSupport.parkNanos(idle * 100_000L); // up to 2 ms while there is nothing to do
      }
      if (!crashed) {
        checkpoint();
      }
    } catch (IOException e) {
      LOG.error(
          "vshard {} on {}: checkpoint failed; the scheduler stops", vshard, node.nodeId(), e);
      engine.failed(vshard, e);
    } catch (RuntimeException e) {
      LOG.error("vshard {} on {}: the scheduler failed", vshard, node.nodeId(), e);
      engine.failed(vshard, e);
    } finally {
      consumer.close();
    }
  }

  /** Applies {@code t} unless it was applied before the last restart, then acks it. */
  private void execute(SequencedTxn t) throws IOException {
    if (state.hasApplied(t)) {
      // After a restart the consumer re-sends the rest of the epoch the checkpoint stopped in.
      if (t.epoch() <= state.throughEpoch()) {
        engine.orderViolation(vshard, t, state.last());
      } else {
        engine.redelivered();
      }
      return;
    }
    state.apply(t, router);
    publish();
    engine.listener().applied(node.nodeId(), vshard, t);
    engine.applied();
    // The txn completes once every participating vshard acked it; acks are batched into the log.
    node.ack(t.id(), vshard, Participants.of(t.txn(), router).length);
    if (++sinceCheckpoint >= engine.checkpointEvery()) {
      checkpoint();
    }
  }

  private void checkpointIfIdle() throws IOException {
    boolean moved = sinceCheckpoint > 0 || state.throughEpoch() != checkpointedThrough;
    if (moved && System.nanoTime() - lastCheckpointNanos > engine.idleCheckpointNanos()) {
      checkpoint();
    }
  }

  private void checkpoint() throws IOException {
    Checkpoints.write(engine.dir(), state);
    sinceCheckpoint = 0;
    checkpointedThrough = state.throughEpoch();
    lastCheckpointNanos = System.nanoTime();
  }

  // ---- when the node no longer holds what this vshard missed ----

  private void rebuild(ReplayUnavailableException e) throws IOException {
    LOG.warn(
        "vshard {} on {} needs epochs from {}, which this node no longer holds: {}",
        vshard,
        node.nodeId(),
        state.throughEpoch() + 1,
        e.getMessage());
    consumer.close();
    while (running) {
      if (rebuildRemotely() || adoptPeerCheckpoint()) {
        checkpoint();
        subscribe();
        return;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(250)); // peers checkpoint meanwhile
    }
    subscribe(); // closing: leave a consumer for the finally block to close
  }

  /**
   * Replays the missing range from a peer that still holds it, up to this node's committed epoch
   * (from there on the local log has it): true when done.
   */
  private boolean rebuildRemotely() {
    long from = state.throughEpoch() + 1;
    long to = node.currentCommittedEpoch();
    SequencerClient client = node.client();
    for (PeerStatus p : client.status()) {
      NodeStatus s = p.status();
      if (s == null
          || s.nodeId().equals(node.nodeId())
          || s.lastAppliedEpoch() < to
          || s.firstReplayableEpoch() < 0
          || s.firstReplayableEpoch() > from) {
        continue;
      }
      try {
        Iterator<SequencedTxn> it =
            client.replay(
                RaftPeerId.valueOf(s.nodeId()),
                vshard,
                from,
                to,
                SequencerClient.DEFAULT_PAGE_SIZE);
        while (it.hasNext() && running) {
          execute(it.next());
        }
        if (!running) {
          return false;
        }
        state.advanceThrough(to);
        engine.rebuiltRemotely();
        LOG.info("vshard {} on {}: replayed {}..{} from {}", vshard, node.nodeId(), from, to, p);
        return true;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (RuntimeException failed) {
        LOG.info(
            "vshard {}: remote replay from {} failed: {}", vshard, s.nodeId(), failed.toString());
      }
    }
    return false;
  }

  /**
   * Takes a peer replica's checkpoint of this vshard that reaches the range this node's log still
   * holds: true when one did. Replicas are interchangeable because the state is a pure function of
   * the txns applied.
   */
  private boolean adoptPeerCheckpoint() throws IOException {
    long committed = node.currentCommittedEpoch();
    long first = node.status().firstReplayableEpoch();
    long needThrough = (first < 0 ? committed + 1 : Math.min(first, committed + 1)) - 1;
    KvState best = null;
    Path bestDir = null;
    for (Path peer : engine.peerDirs()) {
      KvState cp;
      try {
        cp = Checkpoints.read(peer, vshard);
      } catch (IOException torn) {
        continue; // being replaced right now; the next round reads the new one
      }
      if (cp != null
          && cp.throughEpoch() >= needThrough
          && cp.throughEpoch() > state.throughEpoch()
          && (best == null || cp.throughEpoch() > best.throughEpoch())) {
        best = cp;
        bestDir = peer;
      }
    }
    if (best == null) {
      return false;
    }
    LOG.warn(
        "vshard {} on {}: took the checkpoint of {} through epoch {} (was at {})",
        vshard,
        node.nodeId(),
        bestDir,
        best.throughEpoch(),
        state.throughEpoch());
    state = best;
    publish();
    engine.adoptedPeerCheckpoint();
    engine.listener().adopted(node.nodeId(), vshard, state.throughEpoch(), state.last());
    return true;
  }

  // ---- control ----

  long throughEpoch() {
    return state.throughEpoch();
  }

  /** Makes the state's digest and count readable by other threads. */
  private void publish() {
    digest = state.digest();
    appliedCount = state.applied();
  }

  /** The digest of the state after the last txn applied. */
  long digest() {
    return digest;
  }

  long appliedCount() {
    return appliedCount;
  }

  void pause(boolean on) {
    paused = on;
  }

  /** Stops the thread; with {@code crash}, without the final checkpoint. */
  void stop(boolean crash) {
    crashed = crash;
    running = false;
    try {
      thread.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
