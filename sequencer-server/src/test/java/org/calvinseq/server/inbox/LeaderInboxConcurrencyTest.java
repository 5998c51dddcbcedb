package org.calvinseq.server.inbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.calvinseq.server.inbox.InboxFixtures.defaults;
import static org.calvinseq.server.inbox.InboxFixtures.txns;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.calvinseq.core.apply.ApplyResult;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.server.inbox.InboxFixtures.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Real threads: many submitters, one closer, outcomes reported from other threads. Every wait is
 * bounded, so a lost wake-up or a deadlock fails the test instead of hanging it.
 */
class LeaderInboxConcurrencyTest {
  private final ExecutorService raft =
      Executors.newSingleThreadExecutor(r -> new Thread(r, "raft"));
  private final ExecutorService completions =
      Executors.newSingleThreadExecutor(r -> new Thread(r, "completions"));
  private final List<Thread> threads = new ArrayList<>();

  @AfterEach
  void stop() throws InterruptedException {
    for (Thread t : threads) {
      t.interrupt();
      t.join(5000);
    }
    raft.shutdownNow();
    completions.shutdownNow();
  }

  /**
   * A pretend Raft log: appends batches in the order proposed and answers each on its own thread
   * with the next epoch number.
   */
  private final class FakeLog {
    final Map<Long, EpochBatch> epochs = new ConcurrentHashMap<>();
    private long next;

    synchronized CompletableFuture<BatchReceipt> propose(EpochBatch b) {
      long epoch = next++;
      epochs.put(epoch, b);
      return CompletableFuture.supplyAsync(
          () ->
              new BatchReceipt(
                  ApplyResult.Kind.APPLIED, epoch + 1, epoch, b.proposerMs(), b.txns().size(), -1),
          raft);
    }
  }

  /**
   * Eight threads, each its own tenant, submit 1,500 submissions of 1 to 20 txns with up to 64 of
   * their own outstanding; one closer proposes. Every txn lands exactly once, each submission whole
   * and in order where its receipt says, and each thread's submissions keep their order.
   */
  @Test
  void manySubmittersOneCloserEveryTxnOnceWholeAndInOrder() throws Exception {
    LeaderInbox inbox = new LeaderInbox(defaults(), InboxClock.system(), InboxListener.NONE);
    FakeLog log = new FakeLog();
    EpochCloser closer =
        EpochCloser.start(inbox, e -> log.propose(e.batch()), completions, "closer");
    int submitters = 8;
    int perThread = 1500;
    List<List<List<Txn>>> submitted = new ArrayList<>();
    List<List<CompletableFuture<SubmissionReceipt>>> futures = new ArrayList<>();
    CountDownLatch start = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(submitters);
    AtomicReference<Throwable> error = new AtomicReference<>();
    for (int i = 0; i < submitters; i++) {
      List<List<Txn>> mine = Collections.synchronizedList(new ArrayList<>());
      List<CompletableFuture<SubmissionReceipt>> myFutures =
          Collections.synchronizedList(new ArrayList<>());
      submitted.add(mine);
      futures.add(myFutures);
      long tenant = i;
      Random rnd = new Random(i);
      Thread t =
          new Thread(
              () -> {
                Semaphore outstanding = new Semaphore(64);
                try {
                  start.await();
                  for (int n = 0; n < perThread; n++) {
                    if (!outstanding.tryAcquire(30, TimeUnit.SECONDS)) {
                      throw new AssertionError("no answer for 30 s");
                    }
                    List<Txn> txns = txns(tenant, 1 + rnd.nextInt(20));
                    CompletableFuture<SubmissionReceipt> f = inbox.submit(txns);
                    assertThat(f).isNotCompletedExceptionally();
                    f.whenComplete((r, e) -> outstanding.release());
                    mine.add(txns);
                    myFutures.add(f);
                  }
                } catch (Throwable e) {
                  error.compareAndSet(null, e);
                } finally {
                  done.countDown();
                }
              },
              "submitter-" + i);
      threads.add(t);
      t.start();
    }
    start.countDown();
    assertThat(done.await(60, TimeUnit.SECONDS)).as("submitters finished").isTrue();
    assertThat(error.get()).isNull();
    Set<Txn> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    long txnCount = 0;
    for (int i = 0; i < submitters; i++) {
      SubmissionReceipt previous = null;
      for (int n = 0; n < perThread; n++) {
        SubmissionReceipt r = futures.get(i).get(n).get(30, TimeUnit.SECONDS);
        List<Txn> txns = submitted.get(i).get(n);
        EpochBatch batch = log.epochs.get(r.epoch().epoch());
        List<Txn> where = batch.txns().subList(r.firstPosition(), r.firstPosition() + r.txnCount());
        assertThat(where).as("whole, in order, where the receipt says").hasSameSizeAs(txns);
        for (int k = 0; k < txns.size(); k++) {
          assertThat(where.get(k)).isSameAs(txns.get(k));
          assertThat(seen.add(txns.get(k))).as("once").isTrue();
        }
        txnCount += txns.size();
        if (previous != null) {
          assertThat(r.txnId(0))
              .as("a thread's submissions keep their order")
              .isGreaterThan(previous.txnId(0));
        }
        previous = r;
      }
    }
    long inLog = log.epochs.values().stream().mapToLong(b -> b.txns().size()).sum();
    assertThat(inLog).as("nothing else in the log").isEqualTo(txnCount);
    closer.close();
    assertThat(closer.isAlive()).isFalse();
    InboxStats st = inbox.stats();
    assertThat(st.depthTxns()).isZero();
    assertThat(st.inFlight()).isZero();
    assertThat(st.txnsClosed()).isEqualTo(txnCount);
    assertThat(st.totalEpochsClosed())
        .isEqualTo(log.epochs.size())
        .isLessThan(submitters * perThread);
  }

  /**
   * The clock never moves and the interval is an hour, so only signals can make the closer close: a
   * submission into an empty inbox, and an epoch's outcome (from another thread) while the one
   * in-flight slot is taken. Four threads race 500 rounds each; a lost wake-up leaves a submission
   * waiting and fails the bounded wait.
   */
  @Test
  void noWakeUpIsLostWhenOnlySignalsCanMoveTheCloser() throws Exception {
    InboxSettings s = defaults().withEpochInterval(Duration.ofHours(1)).withInFlight(1, 1);
    LeaderInbox inbox = new LeaderInbox(s, new ManualClock(), InboxListener.NONE);
    FakeLog log = new FakeLog();
    AtomicReference<Throwable> error = new AtomicReference<>();
    Thread closer =
        new Thread(
            () -> {
              try {
                ClosedEpoch e;
                while ((e = inbox.awaitEpoch(Duration.ofHours(1))) != null) {
                  ClosedEpoch epoch = e;
                  log.propose(epoch.batch()).thenAccept(epoch::complete);
                }
              } catch (InterruptedException ignored) {
                // stopped
              } catch (Throwable t) {
                error.compareAndSet(null, t);
              }
            },
            "closer");
    threads.add(closer);
    closer.start();
    int submitters = 4;
    CountDownLatch done = new CountDownLatch(submitters);
    AtomicInteger rounds = new AtomicInteger();
    for (int i = 0; i < submitters; i++) {
      long tenant = i;
      Thread t =
          new Thread(
              () -> {
                try {
                  for (int n = 0; n < 500; n++) {
                    inbox.submit(txns(tenant, 1)).get(10, TimeUnit.SECONDS);
                    rounds.incrementAndGet();
                  }
                } catch (Throwable e) {
                  error.compareAndSet(null, e);
                } finally {
                  done.countDown();
                }
              },
              "submitter-" + i);
      threads.add(t);
      t.start();
    }
    assertThat(done.await(120, TimeUnit.SECONDS)).as("all rounds finished").isTrue();
    assertThat(error.get()).isNull();
    assertThat(rounds.get()).isEqualTo(submitters * 500);
    InboxStats st = inbox.stats();
    assertThat(st.epochsClosed().get(CloseReason.INTERVAL)).as("the clock never moved").isZero();
    inbox.close("test over", null);
    closer.join(5000);
    assertThat(closer.isAlive()).as("a closed inbox releases its closer").isFalse();
  }

  /**
   * The two wake-ups only one signal can give, each while the closer is known to wait: a submission
   * into an empty inbox whose eager slots are all taken (the closer must learn the new deadline),
   * and an epoch's outcome while the in-flight cap holds a submission back. The closer waits up to
   * an hour, so a lost signal fails the bounded waits.
   */
  @Test
  void theCloserWakesForANewDeadlineAndForAFreedSlot() throws Exception {
    InboxSettings s = defaults().withEpochInterval(Duration.ofMillis(20)).withInFlight(0, 1);
    LeaderInbox inbox = new LeaderInbox(s, InboxClock.system(), InboxListener.NONE);
    java.util.concurrent.BlockingQueue<ClosedEpoch> closed =
        new java.util.concurrent.LinkedBlockingQueue<>();
    Thread closer =
        new Thread(
            () -> {
              try {
                ClosedEpoch e;
                while ((e = inbox.awaitEpoch(Duration.ofHours(1))) != null) {
                  closed.add(e);
                }
              } catch (InterruptedException ignored) {
                // stopped
              }
            },
            "closer");
    threads.add(closer);
    closer.start();
    for (int round = 0; round < 20; round++) {
      awaitWaiting(closer);
      CompletableFuture<SubmissionReceipt> a = inbox.submit(txns(1, 1)); // into an empty inbox
      ClosedEpoch first = closed.poll(5, TimeUnit.SECONDS);
      assertThat(first).as("closed on the interval: the closer learnt the deadline").isNotNull();
      assertThat(first.reason()).isEqualTo(CloseReason.INTERVAL);
      CompletableFuture<SubmissionReceipt> b = inbox.submit(txns(1, 1024)); // full, but capped
      awaitWaiting(closer);
      assertThat(closed.poll()).as("nothing closes at the cap").isNull();
      first.complete(InboxFixtures.applied(first, 2 * round));
      ClosedEpoch second = closed.poll(5, TimeUnit.SECONDS);
      assertThat(second).as("closed once the slot was freed").isNotNull();
      assertThat(second.reason()).isEqualTo(CloseReason.TXNS);
      second.complete(InboxFixtures.applied(second, 2 * round + 1));
      assertThat(a.get(5, TimeUnit.SECONDS).txnCount()).isEqualTo(1);
      assertThat(b.get(5, TimeUnit.SECONDS).txnCount()).isEqualTo(1024);
    }
  }

  /** Waits (bounded) until {@code t} is parked: on the inbox's condition, in these tests. */
  private static void awaitWaiting(Thread t) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TIMED_WAITING) {
      assertThat(System.nanoTime()).as("%s never waited", t.getName()).isLessThan(deadline);
      Thread.yield();
    }
  }

  /** Closing the inbox wakes a closer waiting on an empty inbox without a deadline. */
  @Test
  void closingReleasesAWaitingCloser() throws Exception {
    LeaderInbox inbox = new LeaderInbox(defaults(), new ManualClock(), InboxListener.NONE);
    CountDownLatch waiting = new CountDownLatch(1);
    CompletableFuture<ClosedEpoch> got = new CompletableFuture<>();
    Thread closer =
        new Thread(
            () -> {
              try {
                waiting.countDown();
                got.complete(inbox.awaitEpoch(Duration.ofHours(1)));
              } catch (Throwable e) {
                got.completeExceptionally(e);
              }
            });
    threads.add(closer);
    closer.start();
    assertThat(waiting.await(5, TimeUnit.SECONDS)).isTrue();
    inbox.close("stepping down", null);
    assertThat(got.get(5, TimeUnit.SECONDS)).isNull();
  }

  /**
   * With every in-flight slot taken and never answered, the inbox fills; from then on every
   * submission, from many threads at once, is refused at once: nobody waits for room.
   */
  @Test
  void aFullInboxRefusesAtOnceAndNeverBlocksSubmitters() throws Exception {
    InboxSettings s = defaults().withInFlight(1, 1).withCapacity(8192, 64L << 20, 1, 0);
    LeaderInbox inbox = new LeaderInbox(s, InboxClock.system(), InboxListener.NONE);
    inbox.submit(txns(1, 1));
    assertThat(inbox.pollEpoch()).as("takes the only slot, never answered").isNotNull();
    for (int i = 0; i < 8; i++) {
      assertThat(inbox.submit(txns(1, 1024))).isNotCompletedExceptionally();
    }
    int submitters = 4;
    CountDownLatch done = new CountDownLatch(submitters);
    AtomicInteger notRefused = new AtomicInteger();
    for (int i = 0; i < submitters; i++) {
      long tenant = 10 + i;
      Thread t =
          new Thread(
              () -> {
                for (int n = 0; n < 5_000; n++) {
                  CompletableFuture<SubmissionReceipt> f = inbox.submit(txns(tenant, 1));
                  if (!f.isCompletedExceptionally()) {
                    notRefused.incrementAndGet();
                  }
                }
                done.countDown();
              });
      threads.add(t);
      t.start();
    }
    assertThat(done.await(60, TimeUnit.SECONDS)).as("no submitter was held").isTrue();
    assertThat(notRefused.get()).isZero();
    assertThat(inbox.stats().refusals().get(RefusalReason.INBOX_FULL_TXNS))
        .isEqualTo(submitters * 5_000L);
  }
}
