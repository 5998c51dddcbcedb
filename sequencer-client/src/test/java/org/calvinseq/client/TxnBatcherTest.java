package org.calvinseq.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import org.calvinseq.core.apply.ApplyResult;
import org.calvinseq.core.codec.EntryEncoder;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.NotSequenced;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.protocol.BatchReceipt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TxnBatcherTest {
  private final List<EpochBatch> sent = new CopyOnWriteArrayList<>();
  private final List<CompletableFuture<BatchReceipt>> receipts = new CopyOnWriteArrayList<>();
  private final List<String> senders = new CopyOnWriteArrayList<>(); // the thread that sent each
  private TxnBatcher batcher;

  private TxnBatcher batcher(Duration linger, int maxTxns, int maxBytes, int maxBuffered) {
    return batcher(linger, maxTxns, maxBytes, maxBuffered, 100);
  }

  private TxnBatcher batcher(
      Duration linger, int maxTxns, int maxBytes, int maxBuffered, int maxInFlight) {
    return batcher(linger, maxTxns, maxBytes, maxBuffered, maxInFlight, maxInFlight);
  }

  private TxnBatcher batcher(
      Duration linger,
      int maxTxns,
      int maxBytes,
      int maxBuffered,
      int maxInFlight,
      int eagerInFlight) {
    batcher =
        new TxnBatcher(
            new TxnBatcher.Settings(
                linger,
                maxTxns,
                maxBytes,
                maxBuffered,
                Duration.ofMillis(200),
                true,
                maxInFlight,
                eagerInFlight),
            b -> {
              CompletableFuture<BatchReceipt> f = new CompletableFuture<>();
              receipts.add(f); // before sent: once awaitSent(n) saw n batches, receipt n-1 is there
              senders.add(Thread.currentThread().getName());
              sent.add(b);
              return f;
            },
            InstantSource.system(),
            new ClientMetrics(new SimpleMeterRegistry(), List.of()),
            42,
            "test-batcher");
    return batcher;
  }

  @AfterEach
  void close() {
    if (batcher != null) {
      batcher.close();
    }
  }

  private static Txn txn(int payload) {
    return new Txn(null, 1, List.of(Key.of("a", "k")), List.of(), new byte[payload]);
  }

  private static BatchReceipt applied(long epoch, int txns) {
    return new BatchReceipt(ApplyResult.Kind.APPLIED, epoch + 10, epoch, 1000 + epoch, txns, -1);
  }

  private void awaitSent(int n) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (sent.size() < n && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(sent).hasSizeGreaterThanOrEqualTo(n);
  }

  /** Runs {@code body(t)} on {@code threads} threads started together; returns once all ended. */
  private static void runConcurrently(int threads, IntConsumer body) throws InterruptedException {
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> ts = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      Thread th =
          new Thread(
              () -> {
                try {
                  go.await();
                } catch (InterruptedException e) {
                  return;
                }
                body.accept(thread);
              });
      ts.add(th);
      th.start();
    }
    go.countDown();
    for (Thread th : ts) {
      th.join();
    }
  }

  /** Answers every batch sent (batch i as epoch i) until {@code txns} txns were sent, or 10 s. */
  private void answerUntilSent(int txns) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (sent.stream().mapToInt(b -> b.txns().size()).sum() < txns
        && System.nanoTime() < deadline) {
      for (int i = 0; i < sent.size(); i++) {
        receipts.get(i).complete(applied(i, sent.get(i).txns().size()));
      }
      Thread.onSpinWait();
    }
  }

  @Test
  void fullBatchesGoAtOnceAndEachTxnGetsItsPosition() {
    batcher(Duration.ofSeconds(10), 3, 1 << 20, 100);
    List<CompletableFuture<TxnId>> fs = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      fs.add(batcher.submit(txn(1)));
    }
    awaitSent(2);
    assertThat(sent.get(0).txns()).hasSize(3);
    assertThat(sent.get(0).hasEpoch()).isFalse();
    receipts.get(0).complete(applied(7, 3));
    receipts.get(1).complete(applied(8, 3));
    assertThat(fs.stream().map(CompletableFuture::join).toList())
        .containsExactly(
            new TxnId(7, 0),
            new TxnId(7, 1),
            new TxnId(7, 2),
            new TxnId(8, 0),
            new TxnId(8, 1),
            new TxnId(8, 2));
    List<ClientTxnId> ids = new ArrayList<>();
    sent.forEach(b -> b.txns().forEach(t -> ids.add(t.clientTxnId())));
    assertThat(ids).extracting(ClientTxnId::clientId).containsOnly(42L);
    assertThat(ids).extracting(ClientTxnId::sequence).containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
  }

  @Test
  void submitAllKeepsEachCallsTxnsTogetherAndInOrderAcrossBatches() throws Exception {
    batcher(Duration.ofMillis(1), 50, 1 << 20, 100_000, 1_000);
    int threads = 4;
    int calls = 300;
    int perCall = 7; // 50 is no multiple of 7: calls span batches
    List<List<CompletableFuture<TxnId>>> futures = new CopyOnWriteArrayList<>();
    runConcurrently(
        threads,
        t -> {
          for (int c = 0; c < calls; c++) {
            List<Txn> txns = new ArrayList<>();
            for (int i = 0; i < perCall; i++) {
              txns.add(txn(t + 1)); // the payload's size tells the threads' txns apart
            }
            futures.add(batcher.submitAll(txns));
          }
        });
    answerUntilSent(threads * calls * perCall);
    List<Txn> all = new ArrayList<>();
    sent.forEach(b -> all.addAll(b.txns()));
    assertThat(all).hasSize(threads * calls * perCall);
    for (int i = 0; i < all.size(); i += perCall) {
      int payload = all.get(i).payload().length;
      assertThat(all.subList(i, i + perCall))
          .as("one call's txns, consecutive")
          .allSatisfy(t -> assertThat(t.payload()).hasSize(payload));
    }
    for (List<CompletableFuture<TxnId>> call : futures) {
      List<TxnId> ids = call.stream().map(CompletableFuture::join).toList();
      assertThat(ids).hasSize(perCall).isSorted();
    }
  }

  @Test
  void aCallThatFillsABatchSendsItItselfAndTheSenderSendsWhatWaitedForASlotOrTheLinger() {
    batcher(Duration.ofMillis(20), 3, 1 << 20, 100, 1);
    String me = Thread.currentThread().getName();
    batcher.submitAll(List.of(txn(1), txn(1), txn(1)));
    assertThat(sent).as("sent before submitAll returned").hasSize(1);
    assertThat(senders).containsExactly(me);

    batcher.submitAll(List.of(txn(1), txn(1), txn(1))); // full, but the one slot is taken
    assertThat(sent).as("waits for the slot").hasSize(1);
    receipts.get(0).complete(applied(1, 3));
    awaitSent(2);
    assertThat(senders.get(1)).as("sent when the slot freed").isEqualTo("test-batcher");

    receipts.get(1).complete(applied(2, 3));
    CompletableFuture<TxnId> partial = batcher.submit(txn(1));
    assertThat(sent).as("a partial batch waits for its linger").hasSize(2);
    awaitSent(3);
    assertThat(senders.get(2)).as("sent after the linger").isEqualTo("test-batcher");
    receipts.get(2).complete(applied(3, 1));
    assertThat(partial.join()).isEqualTo(new TxnId(3, 0));
    assertThat(sent)
        .flatExtracting(EpochBatch::txns)
        .extracting(t -> t.clientTxnId().sequence())
        .as("sequences rise across the threads that sent")
        .containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L);
  }

  @Test
  void aRetriedTxnGetsTheIdItWasFirstSequencedAtAndATooOldOneFails() {
    batcher(Duration.ofSeconds(10), 3, 1 << 20, 100);
    List<CompletableFuture<TxnId>> fs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      fs.add(batcher.submit(txn(1)));
    }
    awaitSent(1);
    receipts
        .get(0)
        .complete(
            new BatchReceipt(
                ApplyResult.Kind.APPLIED,
                20,
                9,
                1009,
                3,
                -1,
                List.of(NotSequenced.duplicate(0, new TxnId(3, 7)), NotSequenced.tooOld(2))));
    assertThat(fs.get(0).join()).as("a duplicate: its original id").isEqualTo(new TxnId(3, 7));
    assertThat(fs.get(1).join()).isEqualTo(new TxnId(9, 1));
    assertThatThrownBy(fs.get(2)::join)
        .hasCauseInstanceOf(IllegalStateException.class)
        .hasMessageContaining("below its client's window");
  }

  @Test
  void aPartialBatchGoesAfterTheLinger() {
    batcher(Duration.ofMillis(30), 1000, 1 << 20, 10_000);
    long start = System.nanoTime();
    CompletableFuture<TxnId> f = batcher.submit(txn(1));
    batcher.submit(txn(1));
    awaitSent(1);
    assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(25));
    assertThat(sent.get(0).txns()).hasSize(2);
    receipts.get(0).complete(applied(0, 2));
    assertThat(f.join()).isEqualTo(new TxnId(0, 0));
  }

  @Test
  void byteLimitSplitsBatchesAndAnOversizedTxnGoesAlone() {
    batcher(Duration.ofSeconds(10), 1000, 4096, 10_000);
    batcher.submit(txn(1500));
    batcher.submit(txn(1500));
    batcher.submit(txn(1500)); // would pass 4096 with the other two: starts a new batch
    batcher.submit(txn(10_000)); // larger than a batch: alone
    awaitSent(3);
    assertThat(sent.get(0).txns()).hasSize(2);
    assertThat(sent.get(1).txns()).hasSize(1);
    assertThat(sent.get(2).txns()).hasSize(1);
    assertThat(sent.get(2).txns().get(0).payloadLength()).isEqualTo(10_000);
    for (EpochBatch b : sent.subList(0, 2)) {
      assertThat(EntryEncoder.encode(b).length).isLessThanOrEqualTo(4096);
    }
  }

  @Test
  void whileItsBatchesAreInFlightTheNextBatchKeepsFilling() throws InterruptedException {
    batcher(Duration.ZERO, 1000, 1 << 20, 10_000, 1);
    CompletableFuture<TxnId> first = batcher.submit(txn(1));
    awaitSent(1);
    assertThat(sent.get(0).txns()).as("nothing in flight: sent at once").hasSize(1);
    List<CompletableFuture<TxnId>> more = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      more.add(batcher.submit(txn(1)));
    }
    Thread.sleep(50);
    assertThat(sent).as("held back while the first batch is unanswered").hasSize(1);
    receipts.get(0).complete(applied(3, 1));
    awaitSent(2);
    assertThat(sent.get(1).txns()).as("one batch of all that came meanwhile").hasSize(5);
    receipts.get(1).complete(applied(4, 5));
    assertThat(first.join()).isEqualTo(new TxnId(3, 0));
    assertThat(more.get(4).join()).isEqualTo(new TxnId(4, 4));
  }

  @Test
  void pastTheEagerSlotsOnlyFullBatchesGoUpToTheMaximum() throws InterruptedException {
    batcher(Duration.ZERO, 3, 1 << 20, 10_000, 3, 1);
    batcher.submit(txn(1));
    awaitSent(1);
    assertThat(sent.get(0).txns()).as("nothing in flight: a partial batch goes").hasSize(1);
    batcher.submit(txn(1));
    batcher.submit(txn(1));
    Thread.sleep(50);
    assertThat(sent).as("the eager slot is taken: a partial batch waits and fills").hasSize(1);
    batcher.submit(txn(1)); // the batch is full: it takes a second slot
    awaitSent(2);
    assertThat(sent.get(1).txns()).hasSize(3);
    batcher.submitAll(List.of(txn(1), txn(1), txn(1))); // full: the third and last slot
    awaitSent(3);
    batcher.submitAll(List.of(txn(1), txn(1), txn(1), txn(1)));
    Thread.sleep(50);
    assertThat(sent).as("every slot taken: even a full batch waits").hasSize(3);
    receipts.get(0).complete(applied(0, 1));
    awaitSent(4);
    assertThat(sent.get(3).txns()).as("the full batch that waited").hasSize(3);
    Thread.sleep(50);
    assertThat(sent)
        .as("the partial one behind it waits until fewer than the eager one are in flight")
        .hasSize(4);
    for (int i = 1; i < 4; i++) {
      receipts.get(i).complete(applied(i, 3));
    }
    awaitSent(5);
    assertThat(sent.get(4).txns()).hasSize(1);
  }

  @Test
  void aFailedProposalFailsEveryTxnOfItsBatch() {
    // A long linger: the batch closes when its second txn arrives (with no linger the first txn
    // could leave alone, and the second's batch would wait behind it for a receipt never given).
    batcher(Duration.ofSeconds(30), 2, 1 << 20, 100);
    CompletableFuture<TxnId> a = batcher.submit(txn(1));
    CompletableFuture<TxnId> b = batcher.submit(txn(1));
    awaitSent(1);
    assertThat(sent.get(0).txns()).as("both txns in one batch").hasSize(2);
    receipts.get(0).completeExceptionally(new SequencerUnavailableException("down"));
    assertThatThrownBy(a::join).hasCauseInstanceOf(SequencerUnavailableException.class);
    assertThatThrownBy(b::join).hasCauseInstanceOf(SequencerUnavailableException.class);
  }

  /**
   * Submits one txn on a new thread, for a proposer that blocks: a submit that leaves a batch ready
   * hands it on itself, so it blocks with the proposer. Returns once the proposer was entered.
   */
  private static CompletableFuture<CompletableFuture<TxnId>> submitBlocked(
      TxnBatcher b, CountDownLatch entered) throws InterruptedException {
    CompletableFuture<CompletableFuture<TxnId>> out =
        CompletableFuture.supplyAsync(() -> b.submit(txn(1)), r -> new Thread(r).start());
    assertThat(entered.await(5, TimeUnit.SECONDS)).as("the proposer was entered").isTrue();
    return out;
  }

  @Test
  void aFullBufferBlocksThenFailsAndClosingFailsUnsentTxns() throws Exception {
    // Fill the buffer behind a proposer that blocks: the first txn's batch is in its hands.
    CountDownLatch gate = new CountDownLatch(1);
    CountDownLatch entered = new CountDownLatch(1);
    batcher =
        new TxnBatcher(
            new TxnBatcher.Settings(
                Duration.ZERO, 1, 1 << 20, 2, Duration.ofMillis(100), false, 100, 100),
            b -> {
              try {
                entered.countDown();
                gate.await();
              } catch (InterruptedException e) {
                throw new IllegalStateException("client closed");
              }
              return new CompletableFuture<>();
            },
            InstantSource.system(),
            new ClientMetrics(new SimpleMeterRegistry(), List.of()),
            1,
            "test-batcher");
    CompletableFuture<CompletableFuture<TxnId>> first = submitBlocked(batcher, entered);
    CompletableFuture<TxnId> second = batcher.submit(txn(1)); // waits behind the first
    long start = System.nanoTime();
    CompletableFuture<TxnId> third = batcher.submit(txn(1));
    assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(90));
    assertThatThrownBy(third::join)
        .isInstanceOf(CompletionException.class)
        .hasCauseInstanceOf(SequencerUnavailableException.class)
        .hasMessageContaining("submit buffer full");
    batcher.close();
    gate.countDown();
    for (CompletableFuture<TxnId> f :
        List.of(first.get(5, TimeUnit.SECONDS), second, batcher.submit(txn(1)))) {
      assertThatThrownBy(f::join)
          .hasCauseInstanceOf(IllegalStateException.class)
          .hasMessageContaining("client closed");
    }
  }

  @Test
  void aLeaderChangeMidBatchFailsOnlyTheBatchInFlightAndTheNextGoesToTheNewLeader() {
    batcher(Duration.ofSeconds(30), 2, 1 << 20, 100, 1);
    CompletableFuture<TxnId> a = batcher.submit(txn(1));
    CompletableFuture<TxnId> b = batcher.submit(txn(1));
    awaitSent(1);
    CompletableFuture<TxnId> c = batcher.submit(txn(1));
    CompletableFuture<TxnId> d = batcher.submit(txn(1));
    assertThat(sent).as("the second batch waits for the first one's answer").hasSize(1);

    // The leader that took the first batch lost leadership before committing it.
    receipts
        .get(0)
        .completeExceptionally(
            new CompletionException(new SequencerUnavailableException("leader changed")));
    assertThatThrownBy(a::join)
        .hasCauseInstanceOf(SequencerUnavailableException.class)
        .hasMessageContaining("leader changed");
    assertThatThrownBy(b::join).hasCauseInstanceOf(SequencerUnavailableException.class);

    awaitSent(2);
    assertThat(sent.get(1).txns())
        .extracting(Txn::clientTxnId)
        .as("the next batch holds only its own txns, in order")
        .containsExactly(new ClientTxnId(42, 2), new ClientTxnId(42, 3));
    receipts.get(1).complete(applied(5, 2));
    assertThat(c.join()).isEqualTo(new TxnId(5, 0));
    assertThat(d.join()).isEqualTo(new TxnId(5, 1));
    assertThat(batcher.buffered()).isZero();
  }

  @Test
  void aProposerThatThrowsFailsItsBatchAndReleasesItsPermit() {
    List<CompletableFuture<BatchReceipt>> answers = new CopyOnWriteArrayList<>();
    batcher =
        new TxnBatcher(
            new TxnBatcher.Settings(
                Duration.ZERO, 1, 1 << 20, 100, Duration.ofMillis(200), true, 1, 1),
            b -> {
              sent.add(b);
              if (sent.size() == 1) {
                throw new IllegalStateException("no leader known");
              }
              CompletableFuture<BatchReceipt> f = CompletableFuture.completedFuture(applied(1, 1));
              answers.add(f);
              return f;
            },
            InstantSource.system(),
            new ClientMetrics(new SimpleMeterRegistry(), List.of()),
            42,
            "test-batcher");
    CompletableFuture<TxnId> first = batcher.submit(txn(1));
    assertThatThrownBy(first::join).hasMessageContaining("no leader known");
    assertThat(batcher.submit(txn(1)).join()).isEqualTo(new TxnId(1, 0));
  }

  @Test
  void closingFailsTheTxnsOfBatchesInFlightToo() {
    // The proposer never answers: no txn may wait for that answer once the batcher is closed.
    batcher(Duration.ZERO, 1, 1 << 20, 100);
    List<CompletableFuture<TxnId>> submitted = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      submitted.add(batcher.submit(txn(1)));
    }
    awaitSent(3);
    submitted.add(batcher.submit(txn(1))); // perhaps sent, perhaps not: failed either way
    batcher.close();
    for (CompletableFuture<TxnId> f : submitted) {
      assertThat(f).isCompletedExceptionally();
      assertThatThrownBy(f::join).hasMessageContaining("client closed");
    }
    // An answer that arrives after the close changes nothing.
    receipts.get(0).complete(applied(1, 1));
    assertThat(submitted.get(0)).isCompletedExceptionally();
  }

  @Test
  void aFullBufferWithoutBlockRejectsAtOnceAndAcceptsAgainOnceSent() throws Exception {
    CountDownLatch gate = new CountDownLatch(1);
    CountDownLatch entered = new CountDownLatch(1);
    batcher =
        new TxnBatcher(
            new TxnBatcher.Settings(Duration.ZERO, 1, 1 << 20, 1, Duration.ZERO, true, 100, 100),
            b -> {
              try {
                entered.countDown();
                gate.await();
              } catch (InterruptedException e) {
                throw new IllegalStateException("client closed");
              }
              return CompletableFuture.completedFuture(applied(sent.size(), 1));
            },
            InstantSource.system(),
            new ClientMetrics(new SimpleMeterRegistry(), List.of()),
            1,
            "test-batcher");
    CompletableFuture<CompletableFuture<TxnId>> first = submitBlocked(batcher, entered);
    long start = System.nanoTime();
    CompletableFuture<TxnId> rejected = batcher.submit(txn(1));
    assertThat(System.nanoTime() - start)
        .as("no wait with maxBlock 0")
        .isLessThan(TimeUnit.SECONDS.toNanos(1));
    assertThatThrownBy(rejected::join)
        .hasCauseInstanceOf(SequencerUnavailableException.class)
        .hasMessageContaining("submit buffer full: 1 txns");
    gate.countDown();
    assertThat(first.get(5, TimeUnit.SECONDS).get(5, TimeUnit.SECONDS)).isNotNull();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (batcher.buffered() > 0 && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(batcher.submit(txn(1)).get(5, TimeUnit.SECONDS)).isNotNull();
  }

  @Test
  void concurrentSubmittersGetSequencesThatRiseAlongEachBatchAndAcrossBatches() throws Exception {
    // Each batch must be one run of the cluster's de-duplication window: consecutive sequences in
    // batch order. Ids taken before the batch's lock interleave under racing submitters.
    batcher(Duration.ofMillis(1), 50, 1 << 20, 100_000, 1_000);
    int threads = 8;
    int perThread = 2_000;
    runConcurrently(
        threads,
        t -> {
          for (int i = 0; i < perThread; i++) {
            batcher.submit(txn(1));
          }
        });
    answerUntilSent(threads * perThread);
    long expected = 0;
    for (EpochBatch b : sent) {
      for (Txn t : b.txns()) {
        assertThat(t.clientTxnId()).isEqualTo(new ClientTxnId(42, expected++));
      }
    }
    assertThat(expected).as("every txn sent").isEqualTo((long) threads * perThread);
  }

  @Test
  void whileABatchWaitsForItsAnswerAtMost31NewerOnesAreSent() throws Exception {
    // 100 may be in flight, but the oldest unanswered batch holds the rest back once 31 newer ones
    // were sent: its retry must stay inside the cluster's window of 64 runs per client.
    batcher(Duration.ZERO, 1, 1 << 20, 1_000, 100);
    for (int i = 0; i < 40; i++) {
      batcher.submit(txn(1));
    }
    awaitSent(TxnBatcher.MAX_SPAN);
    for (int i = 1; i < TxnBatcher.MAX_SPAN; i++) {
      receipts.get(i).complete(applied(i, 1)); // every one but the oldest is answered
    }
    TimeUnit.MILLISECONDS.sleep(200);
    assertThat(sent)
        .as("none sent past the span while the first waits")
        .hasSize(TxnBatcher.MAX_SPAN);
    receipts.get(0).complete(applied(0, 1));
    awaitSent(40);
    assertThat(sent).hasSize(40);
  }
}
