package org.calvinseq.it.fault;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.calvinseq.client.SequencerClient;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.model.TxnId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A steady concurrent load: a few threads, each submitting txns at a fixed pace through the
 * client's batcher, with at most {@code maxOutstanding} unanswered. Each txn carries a client id
 * ({@code thread}, sequence) and reads one key and writes one or two, among {@link #COLLECTIONS}
 * collections. It records every submission the client acknowledged, with its {@link TxnId}; a
 * failed submission's outcome is unknown, so it is not retried (a retry could sequence it twice).
 */
final class LoadGenerator implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LoadGenerator.class);
  static final int COLLECTIONS = 16;

  private final SequencerClient client;
  private final int threads;
  private final long intervalNanos;
  private final Semaphore outstanding;
  private final Map<ClientTxnId, TxnId> acknowledged = new ConcurrentHashMap<>();
  private final Map<CompletableFuture<TxnId>, Boolean> pending = new ConcurrentHashMap<>();
  private final AtomicLong submitted = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final List<Thread> workers = new ArrayList<>();
  private volatile boolean running;

  /** {@code txnsPerSecond} in total, over {@code threads} threads. */
  LoadGenerator(SequencerClient client, int threads, int txnsPerSecond, int maxOutstanding) {
    this.client = client;
    this.threads = threads;
    this.intervalNanos = TimeUnit.SECONDS.toNanos(1) * threads / txnsPerSecond;
    this.outstanding = new Semaphore(maxOutstanding);
  }

  /** The txn a load thread sends as its {@code seq}-th: a pure function of the two. */
  static Txn txn(long clientId, long seq) {
    SplittableRandom r = new SplittableRandom(clientId * 1_000_003L + seq);
    Key read = Key.of("c" + r.nextInt(COLLECTIONS), "k" + r.nextInt(200));
    List<Key> writes = new ArrayList<>();
    writes.add(Key.of("c" + r.nextInt(COLLECTIONS), "k" + r.nextInt(200)));
    if (r.nextInt(3) == 0) {
      writes.add(Key.of("c" + r.nextInt(COLLECTIONS), "k" + r.nextInt(200)));
    }
    byte[] payload = ("v" + clientId + "." + seq).getBytes(StandardCharsets.UTF_8);
    return new Txn(new ClientTxnId(clientId, seq), 1, List.of(read), writes, payload);
  }

  LoadGenerator start() {
    running = true;
    for (int t = 0; t < threads; t++) {
      long clientId = 100 + t;
      Thread w = new Thread(() -> run(clientId), "load-" + clientId);
      w.setDaemon(true);
      workers.add(w);
      w.start();
    }
    return this;
  }

  private void run(long clientId) {
    long next = System.nanoTime();
    long seq = 0;
    while (running) {
      long wait = next - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait); // pacing, not synchronisation
        continue;
      }
      next = Math.max(next + intervalNanos, System.nanoTime() - intervalNanos * 10);
      if (!outstanding.tryAcquire()) {
        continue; // the cluster is not answering: skip this slot rather than pile up
      }
      Txn txn = txn(clientId, seq++);
      CompletableFuture<TxnId> f;
      try {
        f = client.submit(txn);
      } catch (RuntimeException e) {
        outstanding.release();
        failed.incrementAndGet();
        continue;
      }
      submitted.incrementAndGet();
      pending.put(f, Boolean.TRUE);
      f.whenComplete(
          (id, err) -> {
            outstanding.release();
            pending.remove(f);
            if (err == null) {
              acknowledged.put(txn.clientTxnId(), id);
            } else {
              failed.incrementAndGet();
            }
          });
    }
  }

  /** Stops submitting and waits (up to {@code timeout}) until every submission has an outcome. */
  void stop(Duration timeout) {
    running = false;
    for (Thread w : workers) {
      try {
        w.join(TimeUnit.SECONDS.toMillis(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    for (CompletableFuture<TxnId> f : List.copyOf(pending.keySet())) {
      try {
        f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (Exception e) {
        // counted as failed by its callback; a timeout here is reported below
      }
    }
    if (!pending.isEmpty()) {
      LOG.warn("{} submissions still had no outcome after {}", pending.size(), timeout);
    }
    LOG.info(
        "load stopped: {} submitted, {} acknowledged, {} failed",
        submitted.get(),
        acknowledged.size(),
        failed.get());
  }

  Map<ClientTxnId, TxnId> acknowledged() {
    return Map.copyOf(acknowledged);
  }

  int acknowledgedCount() {
    return acknowledged.size();
  }

  long submitted() {
    return submitted.get();
  }

  long failed() {
    return failed.get();
  }

  /** True when no submission is waiting for its outcome. */
  boolean settled() {
    return pending.isEmpty();
  }

  @Override
  public void close() {
    stop(Duration.ofSeconds(5));
  }
}
