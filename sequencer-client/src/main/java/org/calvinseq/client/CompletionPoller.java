package org.calvinseq.client;

import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.protocol.RaftPeerId;
import org.calvinseq.core.completion.CompletionOutcome;
import org.calvinseq.core.completion.CompletionState;
import org.calvinseq.core.model.TxnId;

/**
 * Waits for a txn's completion by polling the COMPLETION query with backoff (10 ms growing to 250
 * ms), asking the leader first and any other peer when it does not answer. Every replica applies
 * the same acks, so any peer's answer is good; the leader's is the freshest. A peer that no longer
 * keeps the txn's state (EVICTED) ends the wait at once with {@link
 * CompletionStateEvictedException}.
 */
final class CompletionPoller {
  private static final RetryBackoff POLL =
      new RetryBackoff(Duration.ofMillis(10), Duration.ofMillis(250), 1.5, 0.3);

  private final SequencerClient client;

  CompletionPoller(SequencerClient client) {
    this.client = client;
  }

  CompletableFuture<TxnId> await(TxnId id, int[] participants, Duration timeout) {
    CompletableFuture<TxnId> out = client.track(new CompletableFuture<>());
    new Wait(id, participants, timeout, out).poll();
    return out;
  }

  private final class Wait {
    final TxnId id;
    final int[] participants;
    final Duration timeout;
    final long deadline;
    final CompletableFuture<TxnId> out;
    int polls;
    int[] acked = new int[0];
    String lastError;

    Wait(TxnId id, int[] participants, Duration timeout, CompletableFuture<TxnId> out) {
      this.id = id;
      this.participants = participants;
      this.timeout = timeout;
      this.deadline = System.nanoTime() + timeout.toNanos();
      this.out = out;
    }

    void poll() {
      try {
        client.queryPool().execute(this::check);
      } catch (RejectedExecutionException e) {
        out.completeExceptionally(new IllegalStateException("client closed"));
      }
    }

    private void check() {
      if (out.isDone()) {
        return;
      }
      CompletionState s;
      try {
        s = ask();
      } catch (QueryRefusedException e) {
        client.complete(out, null, e);
        return;
      }
      if (s != null) {
        acked = s.acked();
        if (s.completed() || missing().length == 0) {
          client.complete(out, id, null);
          return;
        }
        if (s.outcome() == CompletionOutcome.EVICTED) {
          client.complete(
              out,
              null,
              new CompletionStateEvictedException(id, s.evictedThroughEpoch(), s.evictedAtMs()));
          return;
        }
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        client.complete(
            out,
            null,
            new CompletionTimeoutException(
                id, timeout, missing(), acked, s == null ? lastError : null));
        return;
      }
      long delay = Math.min(left, POLL.delayNanos(++polls, client.random()));
      try {
        client.timer().schedule(this::poll, delay, TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) {
        out.completeExceptionally(new IllegalStateException("client closed"));
      }
    }

    /** The completion state from the first peer that answers, or null when none does. */
    private CompletionState ask() {
      for (RaftPeerId p : client.health().order(client.leaderHint())) {
        try {
          return client.queries().completion(p, id);
        } catch (IOException e) {
          lastError = e.getMessage();
        }
        if (out.isDone()) {
          return null;
        }
      }
      return null;
    }

    private int[] missing() {
      return Arrays.stream(participants).filter(v -> Arrays.binarySearch(acked, v) < 0).toArray();
    }
  }
}
