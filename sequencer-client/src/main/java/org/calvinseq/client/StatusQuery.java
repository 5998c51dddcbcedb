package org.calvinseq.client;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.random.RandomGenerator;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.calvinseq.core.protocol.NodeStatus;

/**
 * One {@link SequencerClient#status()} call: every peer asked in parallel, and a peer that gives no
 * answer asked again with backoff until the call timeout. One attempt is not enough: the first
 * request of a new client process (class loading, connecting) or a peer busy with a high load can
 * outlast the request timeout, and a peer that just started cannot serve reads until it knows a
 * commit index.
 */
final class StatusQuery {
  /** Lets a peer's own last error (which ends its retries at the deadline) be what is reported. */
  private static final long GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  private final QueryChannel queries;
  private final PeerHealth health;
  private final Duration timeout;
  private final RetryBackoff backoff;
  private final RandomGenerator random;
  private final Executor pool;

  StatusQuery(
      QueryChannel queries,
      PeerHealth health,
      Duration timeout,
      RetryBackoff backoff,
      RandomGenerator random,
      Executor pool) {
    this.queries = queries;
    this.health = health;
    this.timeout = timeout;
    this.backoff = backoff;
    this.random = random;
    this.pool = pool;
  }

  List<PeerStatus> ask(List<RaftPeer> peers) {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<CompletableFuture<NodeStatus>> fs = new ArrayList<>();
    for (RaftPeer p : peers) {
      fs.add(
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return askUntil(p.getId(), deadline);
                } catch (IOException e) {
                  throw new CompletionException(e);
                }
              },
              pool));
    }
    List<PeerStatus> out = new ArrayList<>(peers.size());
    for (int i = 0; i < peers.size(); i++) {
      RaftPeer p = peers.get(i);
      NodeStatus s = null;
      String error = null;
      try {
        long wait = deadline + GRACE_NANOS - System.nanoTime();
        s = fs.get(i).get(Math.max(0, wait), TimeUnit.NANOSECONDS);
      } catch (ExecutionException e) {
        error = String.valueOf(ProposalChannel.unwrap(e).getMessage());
      } catch (TimeoutException e) {
        error = "no answer within " + timeout.toMillis() + " ms";
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        error = "interrupted";
      }
      out.add(new PeerStatus(p.getId(), p.getAddress(), s, error, health.state(p.getId())));
    }
    return out;
  }

  /** Asks {@code peer} until it answers or {@code deadline} passes; none starts after it. */
  private NodeStatus askUntil(RaftPeerId peer, long deadline) throws IOException {
    for (int attempt = 1; ; attempt++) {
      try {
        return queries.status(peer);
      } catch (QueryRefusedException e) {
        throw new IOException(e.getMessage(), e);
      } catch (IOException e) {
        long pause = Math.min(deadline - System.nanoTime(), backoff.delayNanos(attempt, random));
        if (pause > 0) {
          try {
            Thread.sleep(Math.max(1, pause / 1_000_000));
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", ie);
          }
        }
        if (deadline - System.nanoTime() <= 0) {
          throw new IOException(
              "no answer within "
                  + timeout.toMillis()
                  + " ms ("
                  + attempt
                  + (attempt == 1 ? " attempt" : " attempts")
                  + "; last: "
                  + e.getMessage()
                  + ")",
              e);
        }
      }
    }
  }
}
