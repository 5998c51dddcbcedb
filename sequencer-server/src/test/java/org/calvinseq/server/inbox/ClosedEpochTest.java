package org.calvinseq.server.inbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.calvinseq.server.inbox.InboxFixtures.defaults;
import static org.calvinseq.server.inbox.InboxFixtures.txns;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.calvinseq.core.apply.ApplyResult;
import org.calvinseq.core.codec.EntryEncoder;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.NotSequenced;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.server.inbox.InboxFixtures.ManualClock;
import org.junit.jupiter.api.Test;

/** What each submitter learns when its epoch's outcome is reported, and the closer thread. */
class ClosedEpochTest {
  private final ManualClock clock = new ManualClock();
  private final List<String> events = new ArrayList<>();
  private final InboxListener listener =
      new InboxListener() {
        @Override
        public void epochClosed(CloseReason reason, int txns, long bytes, int submissions) {
          events.add("closed " + reason.tag() + " " + txns + " txns " + submissions + " subs");
        }

        @Override
        public void epochDone(boolean sequenced, long inFlightNanos) {
          events.add("done " + sequenced + " after " + inFlightNanos / 1_000_000 + " ms");
        }

        @Override
        public void refused(InboxRefusedException refusal) {
          events.add("refused " + refusal.reason().tag());
        }
      };
  private final LeaderInbox inbox = new LeaderInbox(defaults(), clock, listener);

  @Test
  void eachSubmissionLearnsItsEpochAndPositions() {
    List<Txn> a = txns(1, 3);
    List<Txn> b = txns(1, 2);
    CompletableFuture<SubmissionReceipt> fa = inbox.submit(a);
    CompletableFuture<SubmissionReceipt> fb = inbox.submit(b);
    ClosedEpoch e = inbox.pollEpoch();
    assertThat(e.reason()).isEqualTo(CloseReason.SLOT);
    assertThat(e.sequence()).isEqualTo(1);
    assertThat(e.submissionCount()).isEqualTo(2);
    assertThat(e.batch().hasEpoch()).as("the log assigns the epoch").isFalse();
    assertThat(e.batch().proposerMs()).isEqualTo(clock.wallMillis());
    assertThat(e.batch().txns()).containsSubsequence(a).containsSubsequence(b).hasSize(5);
    assertThat(fa).isNotDone();
    clock.advanceMillis(3);
    assertThat(e.complete(InboxFixtures.applied(e, 77))).isTrue();
    SubmissionReceipt ra = fa.join();
    SubmissionReceipt rb = fb.join();
    assertThat(ra.txnIds()).containsExactly(new TxnId(77, 0), new TxnId(77, 1), new TxnId(77, 2));
    assertThat(rb.txnIds()).containsExactly(new TxnId(77, 3), new TxnId(77, 4));
    assertThat(rb.epoch().index()).isEqualTo(87);
    assertThatThrownBy(() -> rb.txnId(2)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThat(inbox.inFlight()).isZero();
    assertThat(events).containsExactly("closed slot 5 txns 2 subs", "done true after 3 ms");
    assertThat(e.complete(InboxFixtures.applied(e, 78))).as("first report wins").isFalse();
    assertThat(e.fail(new RuntimeException())).isFalse();
    assertThat(inbox.stats().epochsSequenced()).isEqualTo(1);
  }

  /** The entry the leader proposes is encoded from the runs its submissions brought. */
  @Test
  void theEpochsRunsEncodeItsBatch() {
    inbox.submit(txns(1, 3));
    inbox.submit(txns(2, 1, 40));
    inbox.submit(txns(1, 2, 0));
    ClosedEpoch e = inbox.pollEpoch();
    assertThat(e.submissionCount()).isEqualTo(3);
    assertThat(e.runs()).hasSize(3);
    assertThat(e.runs().stream().flatMap(r -> r.txns().stream()).toList())
        .isEqualTo(e.batch().txns());

    assertThat(EntryEncoder.encodeGrouped(e.batch(), e.runs()))
        .isEqualTo(EntryEncoder.encodeGrouped(e.batch()));
  }

  @Test
  void aDuplicateInASubmissionGetsItsOriginalId() {
    CompletableFuture<SubmissionReceipt> fa = inbox.submit(txns(1, 2));
    CompletableFuture<SubmissionReceipt> fb = inbox.submit(txns(1, 3));
    ClosedEpoch e = inbox.pollEpoch();
    TxnId original = new TxnId(40, 7);
    e.complete(
        new BatchReceipt(
            ApplyResult.Kind.APPLIED,
            90,
            80,
            1,
            5,
            -1,
            List.of(NotSequenced.duplicate(3, original), NotSequenced.tooOld(4))));
    SubmissionReceipt ra = fa.join();
    SubmissionReceipt rb = fb.join();
    assertThat(ra.txnIds()).containsExactly(new TxnId(80, 0), new TxnId(80, 1));
    assertThat(rb.txnId(0)).isEqualTo(new TxnId(80, 2));
    assertThat(rb.txnId(1)).as("a retry gets the id it got the first time").isEqualTo(original);
    assertThat(rb.notSequenced(1).reason()).isEqualTo(NotSequenced.Reason.DUPLICATE);
    assertThat(rb.notSequenced(0)).isNull();
    assertThatThrownBy(() -> rb.txnId(2)).isInstanceOf(IllegalStateException.class);
    assertThat(rb.notSequenced(2).reason()).isEqualTo(NotSequenced.Reason.SEQUENCE_TOO_OLD);
  }

  @Test
  void aFailedEpochFailsEverySubmissionInIt() {
    CompletableFuture<SubmissionReceipt> fa = inbox.submit(txns(1, 3));
    CompletableFuture<SubmissionReceipt> fb = inbox.submit(txns(2, 3));
    ClosedEpoch e = inbox.pollEpoch();
    RuntimeException notLeader = new RuntimeException("not leader");
    assertThat(e.fail(notLeader)).isTrue();
    for (CompletableFuture<SubmissionReceipt> f : List.of(fa, fb)) {
      assertThatThrownBy(f::join).isInstanceOf(CompletionException.class).hasCause(notLeader);
    }
    assertThat(inbox.stats().epochsFailed()).isEqualTo(1);
    assertThat(inbox.inFlight()).isZero();
  }

  @Test
  void aReceiptThatIsNotSequencedOrMiscountedFailsTheSubmissions() {
    CompletableFuture<SubmissionReceipt> f1 = inbox.submit(txns(1, 3));
    ClosedEpoch e1 = inbox.pollEpoch();
    e1.complete(new BatchReceipt(ApplyResult.Kind.DECODE_ERROR, 5, -1, -1, 0, -1));
    assertThatThrownBy(f1::join)
        .hasCauseInstanceOf(IllegalStateException.class)
        .hasMessageContaining("epoch entry at index 5 was not sequenced: DECODE_ERROR");

    CompletableFuture<SubmissionReceipt> f2 = inbox.submit(txns(1, 3));
    ClosedEpoch e2 = inbox.pollEpoch();
    e2.complete(new BatchReceipt(ApplyResult.Kind.APPLIED, 6, 9, 1, 4, -1));
    assertThatThrownBy(f2::join)
        .hasMessageContaining("receipt of epoch 9 counts 4 txns, the closed epoch had 3");
    assertThat(inbox.stats().epochsFailed()).isEqualTo(2);
  }

  @Test
  void theCloserProposesAndReportsOnTheCompletionExecutor() throws Exception {
    ExecutorService completions =
        Executors.newSingleThreadExecutor(r -> new Thread(r, "test-completions"));
    LeaderInbox live = new LeaderInbox(defaults(), InboxClock.system(), InboxListener.NONE);
    List<EpochBatch> proposed = new ArrayList<>();
    // The first answer waits for the test to register its callback: were the future complete
    // before, the callback would run on the registering thread, whatever the executor.
    CompletableFuture<Void> gate = new CompletableFuture<>();
    EpochCloser closer =
        EpochCloser.start(
            live,
            epoch -> {
              synchronized (proposed) {
                proposed.add(epoch.batch());
                if (proposed.size() == 2) {
                  throw new IllegalStateException("proposer broke");
                }
                if (proposed.size() == 3) {
                  return CompletableFuture.failedFuture(new RuntimeException("no quorum"));
                }
                BatchReceipt receipt =
                    new BatchReceipt(
                        ApplyResult.Kind.APPLIED,
                        1,
                        1,
                        epoch.batch().proposerMs(),
                        epoch.batch().txns().size(),
                        -1);
                return gate.thenApply(v -> receipt);
              }
            },
            completions,
            "test-closer");
    try {
      AtomicReference<String> thread = new AtomicReference<>();
      CountDownLatch ran = new CountDownLatch(1);
      CompletableFuture<SubmissionReceipt> first = live.submit(txns(1, 2));
      first.whenComplete(
          (r, t) -> {
            thread.set(Thread.currentThread().getName());
            ran.countDown();
          });
      gate.complete(null);
      first.get(10, TimeUnit.SECONDS);
      assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(thread.get()).isEqualTo("test-completions");
      CompletableFuture<SubmissionReceipt> thrown = live.submit(txns(1, 2));
      assertThatThrownBy(() -> thrown.get(10, TimeUnit.SECONDS))
          .hasMessageContaining("proposer broke");
      CompletableFuture<SubmissionReceipt> failed = live.submit(txns(1, 2));
      assertThatThrownBy(() -> failed.get(10, TimeUnit.SECONDS)).cause().hasMessage("no quorum");
      live.close("test over", null);
      assertThat(closer.awaitStopped(Duration.ofSeconds(10)))
          .as("ends when the inbox closes")
          .isTrue();
    } finally {
      closer.close();
      completions.shutdownNow();
    }
  }

  @Test
  void aThrowingListenerLosesNoEpoch() {
    InboxListener broken =
        new InboxListener() {
          @Override
          public void epochClosed(CloseReason reason, int txns, long bytes, int submissions) {
            throw new IllegalStateException("broken listener");
          }

          @Override
          public void epochDone(boolean sequenced, long inFlightNanos) {
            throw new IllegalStateException("broken listener");
          }

          @Override
          public void refused(InboxRefusedException refusal) {
            throw new IllegalStateException("broken listener");
          }
        };
    LeaderInbox fragile = new LeaderInbox(defaults(), clock, broken);
    CompletableFuture<SubmissionReceipt> f = fragile.submit(txns(1, 2));
    ClosedEpoch e = fragile.pollEpoch();
    assertThat(e).isNotNull();
    e.complete(InboxFixtures.applied(e, 4));
    assertThat(f.join().txnIds()).containsExactly(new TxnId(4, 0), new TxnId(4, 1));
    assertThat(fragile.inFlight()).isZero();
    assertThat(fragile.submit(List.of())).isCompletedExceptionally();
  }

  @Test
  void anOutcomeIsReportedEvenWhenTheCompletionExecutorIsGone() throws Exception {
    ExecutorService completions = Executors.newSingleThreadExecutor();
    LeaderInbox live = new LeaderInbox(defaults(), InboxClock.system(), InboxListener.NONE);
    CompletableFuture<BatchReceipt> answer = new CompletableFuture<>();
    CountDownLatch proposed = new CountDownLatch(1);
    EpochCloser closer =
        EpochCloser.start(
            live,
            epoch -> {
              proposed.countDown();
              return answer;
            },
            completions,
            "test-closer");
    try {
      CompletableFuture<SubmissionReceipt> f = live.submit(txns(1, 1));
      assertThat(proposed.await(10, TimeUnit.SECONDS)).isTrue();
      completions.shutdown();
      answer.complete(new BatchReceipt(ApplyResult.Kind.APPLIED, 1, 3, 1, 1, -1));
      assertThat(f.get(10, TimeUnit.SECONDS).txnId(0)).isEqualTo(new TxnId(3, 0));
      assertThat(live.inFlight()).isZero();
    } finally {
      closer.close();
    }
  }

  @Test
  void refusalsReachTheListener() {
    inbox.submit(List.of());
    assertThat(events).containsExactly("refused empty");
  }
}
