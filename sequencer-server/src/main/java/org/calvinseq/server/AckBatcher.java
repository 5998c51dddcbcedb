package org.calvinseq.server;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.calvinseq.core.model.AckBatch;
import org.calvinseq.core.model.CompletionAck;
import org.calvinseq.core.protocol.BatchReceipt;

/**
 * Gathers completion acks from the engine's schedulers into few log entries: acks that arrive
 * within one linger interval share an entry. Acking one txn per Raft entry would cost the log as
 * much as sequencing did.
 */
final class AckBatcher {
  private record Pending(CompletionAck ack, CompletableFuture<BatchReceipt> done) {}

  private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final ScheduledExecutorService timer;
  private final Function<AckBatch, CompletableFuture<BatchReceipt>> propose;
  private final long lingerMicros;
  private final int maxAcks;

  AckBatcher(
      ScheduledExecutorService timer,
      Function<AckBatch, CompletableFuture<BatchReceipt>> propose,
      long lingerMicros,
      int maxAcks) {
    this.timer = timer;
    this.propose = propose;
    this.lingerMicros = lingerMicros;
    this.maxAcks = maxAcks;
  }

  CompletableFuture<BatchReceipt> add(CompletionAck ack) {
    CompletableFuture<BatchReceipt> f = new CompletableFuture<>();
    queue.add(new Pending(ack, f));
    if (scheduled.compareAndSet(false, true)) {
      timer.schedule(this::flush, lingerMicros, TimeUnit.MICROSECONDS);
    }
    return f;
  }

  private void flush() {
    scheduled.set(false);
    while (!queue.isEmpty()) {
      List<Pending> batch = new ArrayList<>();
      Pending p;
      while (batch.size() < maxAcks && (p = queue.poll()) != null) {
        batch.add(p);
      }
      if (batch.isEmpty()) {
        return;
      }
      List<CompletionAck> acks = new ArrayList<>(batch.size());
      for (Pending b : batch) {
        acks.add(b.ack());
      }
      propose
          .apply(new AckBatch(acks))
          .whenComplete(
              (r, t) -> {
                for (Pending b : batch) {
                  if (t != null) {
                    b.done().completeExceptionally(t);
                  } else {
                    b.done().complete(r);
                  }
                }
              });
    }
  }
}
