package org.calvinseq.it.fault;

import java.io.IOException;
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
import java.util.function.Supplier;
import org.calvinseq.client.SequencerClient;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.model.TxnId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A steady concurrent load: a few threads, each with its own {@link SequencerClient}, submitting
 * txns at a fixed pace through its client's batcher, with at most {@code maxOutstanding} unanswered
 * in all. Each txn carries a client txn id ({@code 100 + thread}, sequence) and reads one key and
 * writes one or two, among {@link #COLLECTIONS} collections. A failed submission is retried, the
 * same txn with the same id, up to {@link #MAX_ATTEMPTS} times: the sequencer's de-duplication
 * answers a retry of a txn it already sequenced with the original {@link TxnId}, so the retries
 * must not sequence anything twice, which the history checker verifies. It records every submission
 * acknowledged, with its {@link TxnId}.
 */
final class LoadGenerator implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LoadGenerator.class);
  static final int COLLECTIONS = 16;

  /** Attempts of one txn, the first included, before its outcome is left unknown. */
  static final int MAX_ATTEMPTS = 10;

  private static final long RETRY_DELAY_MS = 200;

  private final Supplier<SequencerClient> clients;
  private final List<SequencerClient> opened = new ArrayList<>();
  private final int threads;
  private final long intervalNanos;
  private final Semaphore outstanding;
  private final Map<ClientTxnId, TxnId> acknowledged = new ConcurrentHashMap<>();
  private final Map<ClientTxnId, CompletableFuture<TxnId>> pending = new ConcurrentHashMap<>();
  private final AtomicLong retried = new AtomicLong();
  private final AtomicLong submitted = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final List<Thread> workers = new ArrayList<>();
  private volatile boolean running;
  private volatile boolean closed;

  /**
   * {@code txnsPerSecond} in total, over {@code threads} threads, each with a client from {@code
   * clients}, which the generator closes.
   */
  LoadGenerator(
      Supplier<SequencerClient> clients, int threads, int txnsPerSecond, int maxOutstanding) {
    this.clients = clients;
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
      SequencerClient client = clients.get();
      opened.add(client);
      Thread w = new Thread(() -> run(client, clientId), "load-" + clientId);
      w.setDaemon(true);
      workers.add(w);
      w.start();
    }
    return this;
  }

  private void run(SequencerClient client, long clientId) {
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
      CompletableFuture<TxnId> outcome = new CompletableFuture<>();
      pending.put(txn.clientTxnId(), outcome);
      submitted.incrementAndGet();
      attempt(client, txn, 1, outcome);
      outcome.whenComplete(
          (id, err) -> {
            outstanding.release();
            pending.remove(txn.clientTxnId());
            if (err == null) {
              acknowledged.put(txn.clientTxnId(), id);
            } else {
              failed.incrementAndGet();
            }
          });
    }
  }

  /** Submits {@code txn}, and again after a failure until {@link #MAX_ATTEMPTS}. */
  private void attempt(
      SequencerClient client, Txn txn, int attempt, CompletableFuture<TxnId> outcome) {
    CompletableFuture<TxnId> f;
    try {
      f = client.submit(txn);
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    f.whenComplete(
        (id, err) -> {
          if (err == null) {
            outcome.complete(id);
          } else if (attempt < MAX_ATTEMPTS && !closed) {
            retried.incrementAndGet();
            CompletableFuture.runAsync(
                () -> attempt(client, txn, attempt + 1, outcome),
                CompletableFuture.delayedExecutor(RETRY_DELAY_MS, TimeUnit.MILLISECONDS));
          } else {
            outcome.completeExceptionally(err);
          }
        });
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
    for (CompletableFuture<TxnId> f : List.copyOf(pending.values())) {
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
        "load stopped: {} submitted, {} acknowledged, {} failed, {} retries",
        submitted.get(),
        acknowledged.size(),
        failed.get(),
        retried.get());
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

  /** Submissions sent again after a failure. */
  long retried() {
    return retried.get();
  }

  @Override
  public void close() {
    stop(Duration.ofSeconds(5));
    closed = true;
    for (SequencerClient c : opened) {
      try {
        c.close();
      } catch (IOException e) {
        LOG.warn("closing a load client failed", e);
      }
    }
  }
}
