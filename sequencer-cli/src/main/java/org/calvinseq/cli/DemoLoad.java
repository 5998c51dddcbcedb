package org.calvinseq.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.calvinseq.client.SequencerClient;
import org.calvinseq.core.concurrent.DaemonThreads;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.protocol.BatchReceipt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A steady stream of generated batches for {@code local-cluster --demo-load}: {@code rate} batches
 * a second, at most {@code maxInFlight} unanswered (a tick that finds them all in flight is
 * skipped, so a slow cluster sees less load rather than a growing backlog), and a progress line
 * every second.
 */
final class DemoLoad {
  private static final Logger LOG = LoggerFactory.getLogger(DemoLoad.class);
  private static final String[] COLLECTIONS = {"accounts", "orders", "stock", "users", "carts"};

  private final SequencerClient client;
  private final int batchSize;
  private final int maxInFlight;
  private final Semaphore inFlight;
  private final ScheduledExecutorService exec;
  private final SplittableRandom random = new SplittableRandom();
  private final long clientId = random.nextLong();
  private final AtomicLong committedTxns = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong skipped = new AtomicLong();
  private volatile String lastError;
  private long sequence;
  private long lastTxns;
  private long lastNanos;

  DemoLoad(SequencerClient client, int batchSize, int maxInFlight) {
    this.client = client;
    this.batchSize = batchSize;
    this.maxInFlight = maxInFlight;
    this.inFlight = new Semaphore(maxInFlight);
    this.exec = Executors.newSingleThreadScheduledExecutor(DaemonThreads.factory("demo-load"));
  }

  /**
   * Starts proposing {@code ratePerSecond} batches a second and printing, every second, the applied
   * epochs ({@code epochsApplied}), the committed txn rate and the leader.
   */
  void start(
      int ratePerSecond, LongSupplier epochsApplied, Supplier<String> leader, PrintWriter out) {
    lastNanos = System.nanoTime();
    exec.scheduleAtFixedRate(
        this::proposeOne, 0, TimeUnit.SECONDS.toNanos(1) / ratePerSecond, TimeUnit.NANOSECONDS);
    exec.scheduleAtFixedRate(() -> progress(epochsApplied, leader, out), 1, 1, TimeUnit.SECONDS);
    LOG.info(
        "demo load: {} batches/s of {} txns, at most {} in flight",
        ratePerSecond,
        batchSize,
        maxInFlight);
  }

  private void proposeOne() {
    if (!inFlight.tryAcquire()) {
      skipped.incrementAndGet();
      return;
    }
    try {
      client.propose(batch()).whenComplete(this::done);
    } catch (RuntimeException e) {
      done(null, e);
    }
  }

  private void done(BatchReceipt receipt, Throwable failure) {
    inFlight.release();
    if (failure == null) {
      committedTxns.addAndGet(receipt.txnCount());
      return;
    }
    Throwable cause =
        failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause()
            : failure;
    if (failed.incrementAndGet() == 1) {
      LOG.warn(
          "demo load: a proposal failed (further failures are counted in the progress line)",
          cause);
    }
    lastError = String.valueOf(cause.getMessage());
  }

  private EpochBatch batch() {
    List<Txn> txns = new ArrayList<>(batchSize);
    for (int i = 0; i < batchSize; i++) {
      Key read = key();
      Key write = key();
      byte[] payload = ("demo-" + sequence).getBytes(StandardCharsets.UTF_8);
      txns.add(
          new Txn(
              new ClientTxnId(clientId, sequence++), 1, List.of(read), List.of(write), payload));
    }
    return EpochBatch.auto(System.currentTimeMillis(), txns);
  }

  private Key key() {
    return Key.of(
        COLLECTIONS[random.nextInt(COLLECTIONS.length)] + "-" + random.nextInt(64),
        "k" + random.nextInt(10_000));
  }

  private void progress(LongSupplier epochsApplied, Supplier<String> leader, PrintWriter out) {
    long now = System.nanoTime();
    long txns = committedTxns.get();
    double seconds = (now - lastNanos) / 1e9;
    long rate = seconds <= 0 ? 0 : Math.round((txns - lastTxns) / seconds);
    lastNanos = now;
    lastTxns = txns;
    StringBuilder line =
        new StringBuilder("progress: epochs applied ")
            .append(epochsApplied.getAsLong())
            .append(", ")
            .append(rate)
            .append(" txns/s, leader ")
            .append(leader.get())
            .append(", in flight ")
            .append(maxInFlight - inFlight.availablePermits());
    long f = failed.get();
    if (f > 0) {
      line.append(", failed ").append(f).append(" (last: ").append(lastError).append(')');
    }
    out.println(line);
    out.flush();
  }

  /** Stops proposing and waits a little for the proposals in flight. */
  void stop() throws InterruptedException {
    exec.shutdownNow();
    exec.awaitTermination(5, TimeUnit.SECONDS);
    if (!inFlight.tryAcquire(maxInFlight, 10, TimeUnit.SECONDS)) {
      LOG.warn(
          "demo load: {} proposals still in flight at stop",
          maxInFlight - inFlight.availablePermits());
    }
    LOG.info(
        "demo load stopped: {} txns committed, {} proposals failed, {} ticks skipped",
        committedTxns.get(),
        failed.get(),
        skipped.get());
  }
}
