package org.calvinseq.core.completion;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.calvinseq.core.model.CompletionAck;
import org.calvinseq.core.model.TxnId;

/**
 * Tracks completion acks. A txn completes when as many distinct vshards as its participant count
 * have acked it. The ack state is replicated state (every replica applies the same acks in the same
 * order); the futures of local waiters are not.
 *
 * <p>Memory is bounded: a txn's state is evicted once it is older than the retention, measured in
 * deterministic epoch time, or when more than {@code maxEntries} are tracked (oldest first), so
 * every replica evicts the same entries at the same point of the log.
 *
 * <p>Eviction keeps one bounded marker, the {@link Watermark}: the highest epoch of any evicted
 * txn, and the epoch time of the last eviction. A query for an untracked txn at or below it answers
 * {@link CompletionOutcome#EVICTED} (its state, if it had any, is gone); above it, {@link
 * CompletionOutcome#NOT_ACKED} (no ack for it was ever applied). The watermark is replicated state
 * and part of snapshots.
 */
public final class CompletionRegistry {
  /** Replicated state of one txn's acks. */
  public record State(
      TxnId txnId, int participants, int[] acked, long firstAckMs, boolean completed) {
    public State {
      acked = acked.clone();
    }

    /** The acked vshards, sorted; a copy, so callers cannot change replicated state. */
    @Override
    public int[] acked() {
      return acked.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof State s
          && txnId.equals(s.txnId)
          && participants == s.participants
          && Arrays.equals(acked, s.acked)
          && firstAckMs == s.firstAckMs
          && completed == s.completed;
    }

    @Override
    public int hashCode() {
      return txnId.hashCode() * 31 + Arrays.hashCode(acked);
    }
  }

  /**
   * The highest epoch of any txn whose state was evicted, and the epoch time of the last eviction;
   * {@link #NONE} before any.
   */
  public record Watermark(long throughEpoch, long atMs) {
    public static final Watermark NONE = new Watermark(-1, -1);
  }

  private final long retentionMs;
  private final int maxEntries;
  private final Executor notifier;
  private final ConcurrentHashMap<TxnId, State> states = new ConcurrentHashMap<>();
  private final ArrayDeque<TxnId> order = new ArrayDeque<>();
  private final ConcurrentHashMap<TxnId, CompletableFuture<TxnId>> waiters =
      new ConcurrentHashMap<>();
  private volatile int pending; // written by the apply thread only
  private volatile Watermark watermark = Watermark.NONE; // written by the apply thread only

  /**
   * @param retentionMs how long, in epoch time, a txn's ack state is kept after its first ack
   * @param maxEntries the most txns tracked at once
   * @param notifier runs the completion of local waiters' futures, off the apply thread
   */
  public CompletionRegistry(long retentionMs, int maxEntries, Executor notifier) {
    if (retentionMs < 1 || maxEntries < 1) {
      throw new IllegalArgumentException("retentionMs and maxEntries must be >= 1");
    }
    this.retentionMs = retentionMs;
    this.maxEntries = maxEntries;
    this.notifier = notifier;
  }

  /**
   * Applies acks at epoch time {@code nowMs}; returns how many txns completed. Apply thread only.
   */
  public int apply(List<CompletionAck> acks, long nowMs) {
    int completed = 0;
    for (CompletionAck ack : acks) {
      State s = states.get(ack.txnId());
      if (s == null) {
        s = new State(ack.txnId(), ack.participants(), new int[0], nowMs, false);
        order.addLast(ack.txnId());
        pending++;
      }
      if (s.completed() || Arrays.binarySearch(s.acked, ack.vshard()) >= 0) {
        continue;
      }
      int[] acked = insert(s.acked, ack.vshard());
      boolean done = acked.length >= s.participants();
      states.put(
          ack.txnId(), new State(ack.txnId(), s.participants(), acked, s.firstAckMs(), done));
      if (done) {
        pending--;
        completed++;
        CompletableFuture<TxnId> w = waiters.remove(ack.txnId());
        if (w != null) {
          notifier.execute(() -> w.complete(ack.txnId()));
        }
      }
    }
    evict(nowMs);
    return completed;
  }

  private void evict(long nowMs) {
    while (!order.isEmpty()) {
      TxnId oldest = order.peekFirst();
      State s = states.get(oldest);
      if (s != null && order.size() <= maxEntries && !expired(s.firstAckMs(), nowMs)) {
        return;
      }
      order.pollFirst();
      // Raised before the state goes, so that a query that misses the state sees the watermark.
      watermark = new Watermark(Math.max(watermark.throughEpoch(), oldest.epoch()), nowMs);
      State gone = states.remove(oldest);
      if (gone != null && !gone.completed()) {
        pending--; // abandoned: some participant never acked within the retention
      }
    }
  }

  /**
   * Whether more than the retention has passed from {@code firstAckMs} to {@code nowMs}, without
   * overflow for any two longs (a plain {@code nowMs - firstAckMs} wraps when they are far apart,
   * and would keep an old state forever). A time going back never expires anything.
   */
  private boolean expired(long firstAckMs, long nowMs) {
    if (nowMs <= firstAckMs) {
      return false;
    }
    long elapsed = nowMs - firstAckMs; // wraps negative only when the true value exceeds 2^63-1
    return elapsed < 0 || elapsed > retentionMs;
  }

  private static int[] insert(int[] sorted, int v) {
    int at = -Arrays.binarySearch(sorted, v) - 1;
    int[] out = new int[sorted.length + 1];
    System.arraycopy(sorted, 0, out, 0, at);
    out[at] = v;
    System.arraycopy(sorted, at, out, at + 1, sorted.length - at);
    return out;
  }

  /**
   * A future that completes when {@code txnId} has completed (at once if it already has and is
   * still retained). The caller adds its own timeout.
   */
  public CompletableFuture<TxnId> await(TxnId txnId) {
    CompletableFuture<TxnId> f = waiters.computeIfAbsent(txnId, k -> new CompletableFuture<>());
    if (isCompleted(txnId)) {
      waiters.remove(txnId, f);
      f.complete(txnId);
    }
    return f;
  }

  /** Stops waiting for {@code txnId} (after a timeout). */
  public void forget(TxnId txnId, CompletableFuture<TxnId> f) {
    waiters.remove(txnId, f);
  }

  public boolean isCompleted(TxnId txnId) {
    State s = states.get(txnId);
    return s != null && s.completed();
  }

  /** What this replica can say about {@code txnId}'s completion. Any thread. */
  public CompletionState query(TxnId txnId) {
    State s = states.get(txnId);
    if (s != null) {
      return new CompletionState(
          txnId,
          s.completed() ? CompletionOutcome.COMPLETED : CompletionOutcome.PENDING,
          s.acked(),
          -1,
          -1);
    }
    Watermark w = watermark;
    if (txnId.epoch() <= w.throughEpoch()) {
      return new CompletionState(
          txnId, CompletionOutcome.EVICTED, new int[0], w.throughEpoch(), w.atMs());
    }
    return new CompletionState(txnId, CompletionOutcome.NOT_ACKED, new int[0], -1, -1);
  }

  /** The eviction watermark, for snapshots. */
  public Watermark watermark() {
    return watermark;
  }

  /** The vshards that have acked {@code txnId}, sorted; empty if none or evicted. */
  public int[] acked(TxnId txnId) {
    State s = states.get(txnId);
    return s == null ? new int[0] : s.acked();
  }

  public int pendingCount() {
    return pending;
  }

  public int trackedCount() {
    return states.size();
  }

  /** The tracked states in eviction order, for snapshots. Apply thread only. */
  public List<State> export() {
    List<State> out = new ArrayList<>(order.size());
    for (TxnId id : order) {
      out.add(states.get(id));
    }
    return out;
  }

  /** Replaces the tracked states, with no eviction watermark (an older snapshot). */
  public void load(List<State> snapshot) {
    load(snapshot, Watermark.NONE);
  }

  /** Replaces the tracked states and the watermark (snapshot restore). Apply thread only. */
  public void load(List<State> snapshot, Watermark restored) {
    watermark = restored;
    states.clear();
    order.clear();
    int p = 0;
    for (State s : snapshot) {
      if (!s.completed()) {
        p++;
      }
      states.put(s.txnId(), s);
      order.addLast(s.txnId());
      if (s.completed()) {
        CompletableFuture<TxnId> w = waiters.remove(s.txnId());
        if (w != null) {
          notifier.execute(() -> w.complete(s.txnId()));
        }
      }
    }
    pending = p;
  }
}
