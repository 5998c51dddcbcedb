package org.calvinseq.client;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.IntFunction;
import org.calvinseq.core.codec.EncodedSize;
import org.calvinseq.core.codec.WireFormat;
import org.calvinseq.core.concurrent.DaemonThreads;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.core.protocol.Protocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns single submitted txns into few proposals, the way a Kafka producer batches records: a batch
 * is sent when it holds {@code maxTxns} txns or {@code maxBytes} encoded bytes, or {@code linger}
 * after its first txn arrived, whichever comes first. While {@code eagerInFlight} of its batches
 * are unanswered, the next batch keeps filling instead of being sent at its linger, so batches grow
 * with the load: under light load a txn waits at most the linger, under heavy load the cluster
 * receives few large entries instead of many small ones (each entry costs every replica a log write
 * and an apply). A batch that fills up goes while fewer than {@code maxInFlight} are unanswered, so
 * a client under heavy load keeps enough full batches in flight for the leader to form large
 * epochs, while one under moderate load sends a partial batch only while fewer than {@code
 * eagerInFlight} are out (the rule of the leader inbox's eager and maximum epochs in flight).
 *
 * <p>Batches are handed to the client one at a time, in the order they were sealed, so the order of
 * submission is the order of proposal. A submit (or {@code submitAll}) that leaves a batch ready to
 * go while an in-flight slot is free hands it on itself, on the calling thread, before it returns;
 * the sender thread sends the rest: batches that waited for a slot, and partial batches once their
 * linger has passed. A call that fills its own batch (a {@code submitAll} of a full batch) so never
 * wakes another thread to send it. Submitters block (up to {@code maxBlock}) while {@code
 * maxBuffered} txns wait to be sent: memory stays bounded when the cluster is slower than the
 * submitters.
 *
 * <p>Each txn without a {@link ClientTxnId} gets one: this client's random id and a sequence
 * number, so every txn in the log can be traced to its submission, and a retry of it is recognised.
 * Sequences rise along the batch, so that each batch is one run of the apply path's window.
 */
final class TxnBatcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TxnBatcher.class);

  /** Encoded bytes of a batch beyond its txns: entry map, version, type, epoch, time, header. */
  static final int BATCH_OVERHEAD = EncodedSize.BATCH_OVERHEAD;

  /**
   * Batching settings.
   *
   * @param linger how long a batch waits for more txns after its first
   * @param maxTxns most txns in one batch
   * @param maxBytes most encoded bytes in one batch (a txn larger than this goes alone)
   * @param maxBuffered most txns waiting to be sent before submitters block
   * @param maxBlock how long a submitter blocks on a full buffer before its submit fails
   * @param assignIds whether txns without a client txn id get one
   * @param maxInFlight most batches sent and not yet answered
   * @param eagerInFlight most batches unanswered when one that is not full may go (at its linger);
   *     at most {@code maxInFlight}
   */
  record Settings(
      Duration linger,
      int maxTxns,
      int maxBytes,
      int maxBuffered,
      Duration maxBlock,
      boolean assignIds,
      int maxInFlight,
      int eagerInFlight) {
    Settings {
      if (eagerInFlight < 1 || eagerInFlight > maxInFlight) {
        throw new IllegalArgumentException(
            "eagerInFlight must be 1 to maxInFlight (" + maxInFlight + "): " + eagerInFlight);
      }
    }
  }

  /**
   * The most batches sent after the oldest unanswered one (itself included): while a batch waits
   * for its answer (retried by Ratis or after a refusal), at most this many newer ones pass it, so
   * its retry stays among the last {@link WireFormat#DEDUPE_WINDOW_RUNS} runs of this client that
   * the cluster's de-duplication window holds (each batch is one run), with room to spare. A limit
   * on the batches in flight alone would not do: while one waits, the others are answered and new
   * ones sent, without bound.
   */
  static final int MAX_SPAN = WireFormat.DEDUPE_WINDOW_RUNS / 2;

  private static final class Accumulator {
    final List<Txn> txns = new ArrayList<>();
    final List<CompletableFuture<TxnId>> futures = new ArrayList<>();
    final long deadlineNanos;
    long bytes = BATCH_OVERHEAD;
    long number = -1; // in the order sent

    Accumulator(long deadlineNanos) {
      this.deadlineNanos = deadlineNanos;
    }
  }

  private final Settings settings;

  /** Sends a batch; completes with the id of each of its txns, by index in the batch. */
  private final Function<EpochBatch, CompletableFuture<IntFunction<TxnId>>> send;

  private final InstantSource clock;
  private final ClientMetrics metrics;
  private final long clientId;
  private long sequence; // the next client txn sequence; only the dispatching thread uses it
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wake = lock.newCondition();
  private final Condition space = lock.newCondition();

  /** Numbers of the batches sent and not answered; guarded by {@link #lock}. */
  private final TreeSet<Long> unansweredNumbers = new TreeSet<>();

  private long sentBatches; // guarded by lock
  private final ArrayDeque<Accumulator> sealed = new ArrayDeque<>();

  /** Sent and not yet answered: failed on close, since the answer may never come. */
  private final Set<Accumulator> awaitingAnswer = ConcurrentHashMap.newKeySet();

  private final Thread sender;
  private Accumulator open;
  private int buffered;
  private int inFlight; // batches sent and not answered; guarded by lock
  private boolean dispatching; // a thread is handing a batch on; guarded by lock
  private Wait senderWait = Wait.NONE; // guarded by lock
  private boolean closed;

  /** What the sender thread waits for, so that others wake it only when it has something to do. */
  private enum Wait {
    /** Not waiting. */
    NONE,
    /** Nothing to send: woken when a batch opens. */
    IDLE,
    /** The open batch's linger: wakes by itself. */
    LINGER,
    /** A batch to send, no slot: woken when a slot frees. */
    BLOCKED
  }

  /** A batcher that proposes each batch as its own entry (and epoch): the receipt gives the ids. */
  TxnBatcher(
      Settings settings,
      Function<EpochBatch, CompletableFuture<BatchReceipt>> propose,
      InstantSource clock,
      ClientMetrics metrics,
      long clientId,
      String name) {
    this(
        settings, clock, metrics, clientId, name, b -> propose.apply(b).thenApply(TxnBatcher::ids));
  }

  /**
   * A batcher that sends each batch to the leader's inbox, which puts it whole into an epoch it
   * forms: the answer says where ({@link Protocol.Submitted#txnId}).
   */
  static TxnBatcher viaInbox(
      Settings settings,
      Function<EpochBatch, CompletableFuture<Protocol.Submitted>> submit,
      InstantSource clock,
      ClientMetrics metrics,
      long clientId,
      String name) {
    return new TxnBatcher(
        settings,
        clock,
        metrics,
        clientId,
        name,
        b -> submit.apply(b).thenApply(s -> (IntFunction<TxnId>) s::txnId));
  }

  private TxnBatcher(
      Settings settings,
      InstantSource clock,
      ClientMetrics metrics,
      long clientId,
      String name,
      Function<EpochBatch, CompletableFuture<IntFunction<TxnId>>> send) {
    this.settings = settings;
    this.send = send;
    this.clock = clock;
    this.metrics = metrics;
    this.clientId = clientId;
    this.sender = DaemonThreads.start(name, this::run);
  }

  long clientId() {
    return clientId;
  }

  int buffered() {
    lock.lock();
    try {
      return buffered;
    } finally {
      lock.unlock();
    }
  }

  CompletableFuture<TxnId> submit(Txn txn) {
    CompletableFuture<TxnId> f;
    Accumulator ready;
    lock.lock();
    try {
      f = add(txn);
      ready = afterAdding();
    } finally {
      lock.unlock();
    }
    if (ready != null) {
      dispatch(ready);
    }
    return f;
  }

  /**
   * As {@link #submit} for each txn in order, under one hold of the lock, so they stay consecutive:
   * other submitters interleave only while this one waits for buffer space.
   */
  List<CompletableFuture<TxnId>> submitAll(List<Txn> txns) {
    List<CompletableFuture<TxnId>> out = new ArrayList<>(txns.size());
    Accumulator ready;
    lock.lock();
    try {
      for (int i = 0; i < txns.size(); i++) {
        out.add(add(txns.get(i)));
      }
      ready = afterAdding();
    } finally {
      lock.unlock();
    }
    if (ready != null) {
      dispatch(ready);
    }
    return out;
  }

  /**
   * At the end of a submitting call: the batch this thread is to send now (the oldest sealed one,
   * or the open one once its linger has passed) if a slot is free; otherwise null, with the sender
   * woken if it sleeps while a batch could go (it times the open batch's linger). Holds the lock.
   */
  private Accumulator afterAdding() {
    Accumulator a = canSend() ? takeReady() : null;
    if (a != null) {
      start(a);
    } else {
      wakeSenderIfWork();
    }
    return a;
  }

  /** Adds one txn to the open batch; holds the lock. */
  private CompletableFuture<TxnId> add(Txn txn) {
    boolean assign = settings.assignIds() && txn.clientTxnId() == null;
    int size = EncodedSize.txnBound(txn) + (assign ? EncodedSize.CLIENT_TXN_ID_BOUND : 0);
    CompletableFuture<TxnId> f = new CompletableFuture<>();
    if (!awaitSpace()) {
      f.completeExceptionally(
          closed
              ? new IllegalStateException("client closed")
              : new SequencerUnavailableException(
                  "submit buffer full: "
                      + buffered
                      + " txns have waited to be sent for more than "
                      + settings.maxBlock().toMillis()
                      + " ms"));
      return f;
    }
    if (open != null
        && (open.txns.size() >= settings.maxTxns() || open.bytes + size > settings.maxBytes())) {
      seal();
    }
    if (open == null) {
      open = new Accumulator(System.nanoTime() + settings.linger().toNanos());
    }
    open.txns.add(txn); // its client txn id, if it gets one, when its batch is sent
    open.futures.add(f);
    open.bytes += size;
    buffered++;
    if (open.txns.size() >= settings.maxTxns() || open.bytes >= settings.maxBytes()) {
      seal();
    }
    return f;
  }

  /** Waits for buffer space; false when closed or after maxBlock. Holds the lock. */
  private boolean awaitSpace() {
    long left = settings.maxBlock().toNanos();
    while (!closed && buffered >= settings.maxBuffered()) {
      if (left <= 0) {
        return false;
      }
      wakeSenderIfWork(); // what this call added so far must go for space to free
      try {
        left = space.awaitNanos(left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return !closed;
  }

  private void seal() {
    sealed.addLast(open);
    open = null;
  }

  /**
   * Whether the next batch may be handed on now: no other is being handed on (so batches go in
   * order), a slot is free for it (a sealed, full batch may use any of {@code maxInFlight}; the
   * open one, at its linger, only the first {@code eagerInFlight}), and the oldest unanswered batch
   * is fewer than {@link #MAX_SPAN} behind. Holds the lock.
   */
  private boolean canSend() {
    int slots = sealed.isEmpty() ? settings.eagerInFlight() : settings.maxInFlight();
    return !dispatching
        && inFlight < slots
        && (unansweredNumbers.isEmpty() || sentBatches - unansweredNumbers.first() < MAX_SPAN);
  }

  /** Takes the oldest sealed batch, or the open one if its linger has passed; null if none. */
  private Accumulator takeReady() {
    if (!sealed.isEmpty()) {
      return sealed.pollFirst();
    }
    if (open != null && open.deadlineNanos - System.nanoTime() <= 0) {
      Accumulator a = open;
      open = null;
      return a;
    }
    return null;
  }

  /** Numbers a batch about to be handed on and takes its slot. Holds the lock. */
  private void start(Accumulator a) {
    a.number = sentBatches++;
    unansweredNumbers.add(a.number);
    inFlight++;
    dispatching = true;
  }

  /**
   * Wakes the sender if it sleeps while a batch could go now: a sealed one, or an open one whose
   * linger it is not timing yet. Holds the lock.
   */
  private void wakeSenderIfWork() {
    boolean work =
        !sealed.isEmpty() || (open != null && senderWait != Wait.LINGER); // LINGER times it
    if (senderWait != Wait.NONE && work && canSend()) {
      wake.signal();
    }
  }

  private void run() {
    while (true) {
      Accumulator a;
      lock.lock();
      try {
        a = next();
        if (a != null) {
          start(a);
        }
      } catch (InterruptedException e) {
        a = null;
      } finally {
        senderWait = Wait.NONE;
        lock.unlock();
      }
      if (a == null) {
        return;
      }
      dispatch(a);
    }
  }

  /**
   * The next batch to send once a slot is free, waiting for both; null once closed. While it waits
   * for a slot the open batch goes on filling. Holds the lock.
   */
  private Accumulator next() throws InterruptedException {
    while (!closed) {
      if (!canSend()) {
        senderWait = Wait.BLOCKED;
        wake.await();
        continue;
      }
      Accumulator a = takeReady();
      if (a != null) {
        return a;
      }
      if (open == null) {
        senderWait = Wait.IDLE;
        wake.await();
      } else {
        senderWait = Wait.LINGER;
        wake.awaitNanos(open.deadlineNanos - System.nanoTime());
      }
    }
    return null;
  }

  private void dispatch(Accumulator a) {
    if (settings.assignIds()) {
      assignIds(a.txns);
    }
    awaitingAnswer.add(a);
    CompletableFuture<IntFunction<TxnId>> r;
    try {
      r = send.apply(EpochBatch.auto(clock.millis(), a.txns));
    } catch (RuntimeException e) {
      r = CompletableFuture.failedFuture(e);
    }
    metrics.batchSent(a.txns.size());
    lock.lock();
    try {
      buffered -= a.txns.size();
      space.signalAll();
      dispatching = false;
      wakeSenderIfWork();
    } finally {
      lock.unlock();
    }
    r.whenComplete(
        (receipt, t) -> {
          lock.lock();
          try {
            unansweredNumbers.remove(a.number);
            inFlight--;
            wakeSenderIfWork();
          } finally {
            lock.unlock();
          }
          awaitingAnswer.remove(a);
          complete(a, receipt, t);
        });
  }

  /**
   * Gives each txn without a client txn id the next sequence of this client. Only the thread
   * handing a batch on calls it (one at a time), batch by batch in the order they are sent, so a
   * batch holds consecutive sequences in its order: one run of the apply path's de-duplication
   * window (docs/architecture.md, "Exactly-once"). Taken by racing submitters, sequences would
   * interleave between batches, and a batch would make many runs, pushing a retried batch's
   * sequences below the window.
   */
  private void assignIds(List<Txn> txns) {
    for (int i = 0; i < txns.size(); i++) {
      Txn t = txns.get(i);
      if (t.clientTxnId() == null) {
        txns.set(
            i,
            new Txn(
                new ClientTxnId(clientId, sequence++),
                t.tenantId(),
                t.readSet(),
                t.writeSet(),
                t.payload()));
      }
    }
  }

  /** The ids of a proposed batch's txns: its receipt's, once it is sure the batch was sequenced. */
  private static IntFunction<TxnId> ids(BatchReceipt receipt) {
    if (!receipt.sequenced()) {
      throw new IllegalStateException("batch was not sequenced: " + receipt.outcome());
    }
    return receipt::txnId;
  }

  private static void complete(Accumulator a, IntFunction<TxnId> receipt, Throwable t) {
    Throwable failure = t == null ? null : ProposalChannel.unwrap(t);
    List<CompletableFuture<TxnId>> fs = a.futures;
    for (int i = 0; i < fs.size(); i++) {
      if (failure != null) {
        fs.get(i).completeExceptionally(failure);
        continue;
      }
      try {
        // (epoch, i), or for a retry of a txn already sequenced the id it got then; a txn refused
        // as below its client's de-duplication window has none (wire-format.md section 9a).
        fs.get(i).complete(receipt.apply(i));
      } catch (IllegalStateException | IndexOutOfBoundsException e) {
        fs.get(i).completeExceptionally(e);
      }
    }
  }

  /**
   * Fails every txn not yet answered with "client closed", whether its batch was sent or not, and
   * stops the sender thread; an answer that comes later changes nothing.
   */
  @Override
  public void close() {
    List<Accumulator> unsent = new ArrayList<>();
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      unsent.addAll(sealed);
      sealed.clear();
      if (open != null) {
        unsent.add(open);
        open = null;
      }
      buffered = 0;
      wake.signalAll();
      space.signalAll();
    } finally {
      lock.unlock();
    }
    sender.interrupt();
    try {
      sender.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    IllegalStateException closedError = new IllegalStateException("client closed");
    List<Accumulator> unanswered = new ArrayList<>(unsent);
    unanswered.addAll(awaitingAnswer);
    for (Accumulator a : unanswered) {
      for (CompletableFuture<TxnId> f : a.futures) {
        f.completeExceptionally(closedError);
      }
    }
    if (!unsent.isEmpty()) {
      LOG.info("client closed with {} unsent batches; their txns failed", unsent.size());
    }
  }
}
