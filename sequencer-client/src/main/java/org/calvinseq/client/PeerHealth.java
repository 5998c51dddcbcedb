package org.calvinseq.client;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;
import org.apache.ratis.protocol.RaftPeerId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the client has seen of each peer, as a small state machine per peer:
 *
 * <ul>
 *   <li>{@link State#HEALTHY}: the last exchange succeeded (any reply counts, a "not leader" one
 *       too: the peer is up);
 *   <li>{@link State#BACKOFF}: the last exchanges failed; the peer is tried again once its backoff
 *       (exponential with jitter) has passed, earlier only when no other peer is left;
 *   <li>{@link State#DEAD}: it has failed at least {@code deadAfterFailures} times in a row over at
 *       least {@code deadAfter}; it is tried once per {@code deadRetryInterval}.
 * </ul>
 *
 * <p>Any success returns a peer to HEALTHY. The state is driven only by outcomes the client
 * observes (replies, connection errors, timeouts); it is not persisted, so a new client starts with
 * every peer HEALTHY. It orders the peers the client tries for queries and failover, and feeds the
 * {@code sequencer.client.peer.status} gauges.
 */
public final class PeerHealth {
  private static final Logger LOG = LoggerFactory.getLogger(PeerHealth.class);

  /** A peer's state. */
  public enum State {
    HEALTHY,
    BACKOFF,
    DEAD;

    /** The metric tag value. */
    public String tag() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * When a peer backs off and when it is declared dead.
   *
   * @param backoff the delay before a failing peer is tried again, by consecutive failures
   * @param deadAfterFailures consecutive failures before a peer can be declared dead
   * @param deadAfter how long the failures must have lasted before a peer is declared dead
   * @param deadRetryInterval how often a dead peer is tried again
   */
  public record Policy(
      RetryBackoff backoff, int deadAfterFailures, Duration deadAfter, Duration deadRetryInterval) {
    /**
     * Backoff 200 ms doubling to 30 s; dead after 20 failures over 5 minutes; retried each minute.
     */
    public static final Policy DEFAULT =
        new Policy(
            new RetryBackoff(Duration.ofMillis(200), Duration.ofSeconds(30), 2.0, 0.5),
            20,
            Duration.ofMinutes(5),
            Duration.ofMinutes(1));

    public Policy {
      Objects.requireNonNull(backoff, "backoff");
      Objects.requireNonNull(deadAfter, "deadAfter");
      Objects.requireNonNull(deadRetryInterval, "deadRetryInterval");
      if (deadAfterFailures < 1 || deadAfter.isNegative() || deadRetryInterval.isNegative()) {
        throw new IllegalArgumentException(
            "deadAfterFailures must be >= 1 and durations >= 0: " + this);
      }
    }
  }

  /** One peer's health as last observed. */
  public record Snapshot(
      RaftPeerId peer,
      State state,
      int consecutiveFailures,
      String lastError,
      long retryInMillis) {}

  /** Receives every observed outcome, for the connection-attempt counters. */
  interface Listener {
    void attempt(RaftPeerId peer, boolean success);
  }

  private static final class Entry {
    final RaftPeerId peer;
    volatile State state = State.HEALTHY;
    int failures;
    long streakStartNanos;
    long nextRetryNanos;
    String lastError;

    Entry(RaftPeerId peer) {
      this.peer = peer;
    }
  }

  private final Map<RaftPeerId, Entry> entries = new LinkedHashMap<>();
  private final Policy policy;
  private final LongSupplier nanoTime;
  private final RandomGenerator random;
  private final Listener listener;

  PeerHealth(
      List<RaftPeerId> peers,
      Policy policy,
      LongSupplier nanoTime,
      RandomGenerator random,
      Listener listener) {
    for (RaftPeerId p : peers) {
      entries.put(p, new Entry(p));
    }
    this.policy = Objects.requireNonNull(policy, "policy");
    this.nanoTime = nanoTime;
    this.random = random;
    this.listener = listener;
  }

  /** Records a reply from {@code peer}. Unknown peers (null, or outside the group) are ignored. */
  public void success(RaftPeerId peer) {
    Entry e = peer == null ? null : entries.get(peer);
    if (e == null) {
      return;
    }
    listener.attempt(peer, true);
    if (e.state == State.HEALTHY) {
      return;
    }
    synchronized (e) {
      if (e.state != State.HEALTHY) {
        LOG.info("peer {} is healthy again after {} failures", peer, e.failures);
      }
      e.state = State.HEALTHY;
      e.failures = 0;
      e.lastError = null;
    }
  }

  /** Records a failed exchange with {@code peer} (no reply: refused, reset, timed out). */
  public void failure(RaftPeerId peer, Throwable cause) {
    Entry e = peer == null ? null : entries.get(peer);
    if (e == null) {
      return;
    }
    listener.attempt(peer, false);
    long now = nanoTime.getAsLong();
    synchronized (e) {
      if (e.failures == 0) {
        e.streakStartNanos = now;
      }
      e.failures++;
      e.lastError = cause == null ? "failed" : cause.toString();
      State before = e.state;
      if (e.failures >= policy.deadAfterFailures()
          && now - e.streakStartNanos >= policy.deadAfter().toNanos()) {
        e.state = State.DEAD;
        e.nextRetryNanos = now + jittered(policy.deadRetryInterval().toNanos());
      } else {
        e.state = State.BACKOFF;
        e.nextRetryNanos = now + policy.backoff().delayNanos(e.failures, random);
      }
      if (before != e.state) {
        LOG.warn("peer {} is now {} after {} failures: {}", peer, e.state, e.failures, e.lastError);
      }
    }
  }

  /**
   * Records that another peer named {@code peer} as the leader: not proof that this client can
   * reach it, but reason enough to end its backoff early so that it is tried next.
   */
  public void suggested(RaftPeerId peer) {
    Entry e = peer == null ? null : entries.get(peer);
    if (e == null || e.state == State.HEALTHY) {
      return;
    }
    synchronized (e) {
      e.nextRetryNanos = Math.min(e.nextRetryNanos, nanoTime.getAsLong());
    }
  }

  private long jittered(long nanos) {
    return (long) (nanos * (0.9 + 0.2 * random.nextDouble()));
  }

  public State state(RaftPeerId peer) {
    Entry e = entries.get(peer);
    return e == null ? null : e.state;
  }

  /** True when the peer is healthy or its backoff has passed. */
  public boolean due(RaftPeerId peer) {
    Entry e = entries.get(peer);
    if (e == null) {
      return false;
    }
    synchronized (e) {
      return e.state == State.HEALTHY || nanoTime.getAsLong() - e.nextRetryNanos >= 0;
    }
  }

  /**
   * Every peer in the order to try them: {@code preferred} first if it is due, then healthy peers,
   * then peers whose backoff has passed, then the rest by the time their backoff ends (a caller
   * with nothing else left may still try them).
   */
  public List<RaftPeerId> order(RaftPeerId preferred) {
    long now = nanoTime.getAsLong();
    List<Snapshot> all = snapshot(now);
    List<RaftPeerId> out = new ArrayList<>(all.size());
    if (preferred != null && entries.containsKey(preferred) && due(preferred)) {
      out.add(preferred);
    }
    all.stream()
        .sorted(
            Comparator.comparingInt((Snapshot s) -> s.state() == State.HEALTHY ? 0 : 1)
                .thenComparingLong(s -> Math.max(0, s.retryInMillis())))
        .map(Snapshot::peer)
        .filter(p -> !out.contains(p))
        .forEach(out::add);
    return out;
  }

  /** Every peer's state, in the group's peer order. */
  public List<Snapshot> snapshot() {
    return snapshot(nanoTime.getAsLong());
  }

  private List<Snapshot> snapshot(long now) {
    List<Snapshot> out = new ArrayList<>(entries.size());
    for (Entry e : entries.values()) {
      synchronized (e) {
        long retryIn = e.state == State.HEALTHY ? 0 : (e.nextRetryNanos - now) / 1_000_000;
        out.add(new Snapshot(e.peer, e.state, e.failures, e.lastError, Math.max(0, retryIn)));
      }
    }
    return out;
  }

  List<RaftPeerId> peers() {
    return List.copyOf(entries.keySet());
  }
}
