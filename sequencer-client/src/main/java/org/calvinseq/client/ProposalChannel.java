package org.calvinseq.client;

import java.io.IOException;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends proposals through Ratis's ordered asynchronous API, replacing the Ratis client when it can
 * no longer be used.
 *
 * <p>Why replace it: Ratis orders a client's asynchronous requests in a sliding window, and once
 * one request of the window fails for good (its retries ran out, or the client was closed), Ratis
 * fails every later request of the window and closes the window for ever. Without a new Ratis
 * client, one outage (two nodes down past the call timeout) would leave this client unusable after
 * the cluster recovered. A replaced Ratis client is closed once its last request has ended.
 *
 * <p>A reply that carries a state machine error (a rejected proposal) does not break the window.
 */
final class ProposalChannel implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ProposalChannel.class);

  private static final class Generation {
    final RaftClient raft;
    final int number;
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicBoolean closed = new AtomicBoolean();
    volatile boolean retired;

    Generation(RaftClient raft, int number) {
      this.raft = raft;
      this.number = number;
    }
  }

  private final Supplier<RaftClient> factory;
  private final Executor closer;
  private final Set<Generation> retired = new HashSet<>();
  private Generation current;
  private boolean closed;
  private int generations;

  ProposalChannel(Supplier<RaftClient> factory, Executor closer) {
    this.factory = factory;
    this.closer = closer;
    this.current = new Generation(factory.get(), ++generations);
  }

  /** Sends {@code message} as a write; the reply future fails as Ratis fails it. */
  CompletableFuture<RaftClientReply> send(Message message) {
    Generation g;
    synchronized (this) {
      if (closed) {
        return CompletableFuture.failedFuture(new IllegalStateException("client closed"));
      }
      g = current;
      g.inFlight.incrementAndGet();
    }
    CompletableFuture<RaftClientReply> f;
    try {
      f = g.raft.async().send(message);
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    return f.whenComplete(
        (r, t) -> {
          if (t != null && breaksWindow(t)) {
            retire(g, t);
          }
          if (g.inFlight.decrementAndGet() == 0 && g.retired) {
            closeLater(g);
          }
        });
  }

  /** How many times the Ratis client was created (1 until the first replacement). */
  synchronized int generations() {
    return generations;
  }

  private static boolean breaksWindow(Throwable t) {
    Throwable c = unwrap(t);
    return !(c instanceof StateMachineException);
  }

  static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException)
        && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }

  private void retire(Generation g, Throwable why) {
    synchronized (this) {
      if (closed || current != g) {
        return;
      }
      g.retired = true;
      retired.add(g);
      current = new Generation(factory.get(), ++generations);
    }
    LOG.info(
        "replacing Ratis client #{} after a failed proposal: {}", g.number, unwrap(why).toString());
    if (g.inFlight.get() == 0) {
      closeLater(g);
    }
  }

  private void closeLater(Generation g) {
    if (g.closed.compareAndSet(false, true)) {
      synchronized (this) {
        retired.remove(g);
      }
      closer.execute(() -> closeQuietly(g));
    }
  }

  private static void closeQuietly(Generation g) {
    try {
      g.raft.close();
    } catch (IOException | RuntimeException e) {
      LOG.debug("closing Ratis client #{} failed: {}", g.number, e.toString());
    }
  }

  @Override
  public void close() {
    Set<Generation> all;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      all = new HashSet<>(retired);
      all.add(current);
      retired.clear();
    }
    for (Generation g : all) {
      if (g.closed.compareAndSet(false, true)) {
        closeQuietly(g);
      }
    }
  }
}
