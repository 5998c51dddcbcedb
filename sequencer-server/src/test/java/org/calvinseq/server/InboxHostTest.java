package org.calvinseq.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.calvinseq.client.ProposalRejectedException;
import org.calvinseq.core.apply.ApplyResult;
import org.calvinseq.core.codec.EntryEncoder;
import org.calvinseq.core.codec.ProposalLimits;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.core.protocol.Protocol;
import org.calvinseq.server.inbox.InboxListener;
import org.calvinseq.server.inbox.InboxSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The inbox's life on a node, driven as Ratis would drive it, with a hand-held proposer. */
class InboxHostTest {
  private final List<EpochBatch> proposed = new ArrayList<>();
  private final List<CompletableFuture<BatchReceipt>> answers = new ArrayList<>();
  private final InboxHost host =
      new InboxHost(
          "n1",
          // Epochs close only on a free eager slot: the default interval (10 ms) would close a
          // queued submission's epoch whenever this test's thread stalls that long.
          InboxSettings.defaults(ProposalLimits.DEFAULTS).withEpochInterval(Duration.ofHours(1)),
          InboxListener.NONE,
          epoch -> {
            CompletableFuture<BatchReceipt> f = new CompletableFuture<>();
            synchronized (proposed) {
              proposed.add(epoch.batch());
              answers.add(f);
              proposed.notifyAll();
            }
            return f;
          });

  @AfterEach
  void close() {
    host.close();
  }

  private static Txn txn(long seq) {
    return new Txn(
        new ClientTxnId(42, seq), 7, List.of(), List.of(Key.of("c", "k" + seq)), new byte[4]);
  }

  private static ByteBuffer entry(List<Txn> txns) {
    return ByteBuffer.wrap(EntryEncoder.encode(EpochBatch.auto(1, txns)));
  }

  private int awaitProposals(int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    synchronized (proposed) {
      while (proposed.size() < n && System.nanoTime() < deadline) {
        proposed.wait(100);
      }
      return proposed.size();
    }
  }

  @Test
  void aSubmissionBeforeLeadershipIsRefusedAsRetryable() throws Exception {
    var r = (Protocol.SubmitRefused) host.submit(entry(List.of(txn(1)))).get();
    assertThat(r.reason()).isEqualTo("CLOSED");
    assertThat(r.retryable()).isTrue();
    assertThat(r.retryAfterMs()).isEqualTo(InboxHost.NO_INBOX_RETRY_MS);
  }

  @Test
  void theLeaderFormsAnEpochAndEachSubmitterLearnsItsPlace() throws Exception {
    host.leaderReady();
    CompletableFuture<Protocol.SubmitReply> a = host.submit(entry(List.of(txn(1), txn(2))));
    assertThat(awaitProposals(1)).isEqualTo(1);
    EpochBatch batch = proposed.get(0);
    assertThat(batch.hasEpoch()).isFalse();
    assertThat(batch.txns()).containsExactly(txn(1), txn(2));
    answers.get(0).complete(new BatchReceipt(ApplyResult.Kind.APPLIED, 5, 3, 1, 2, -1));
    var s = (Protocol.Submitted) a.get(10, TimeUnit.SECONDS);
    assertThat(s.txnId(1)).isEqualTo(new TxnId(3, 1));
  }

  @Test
  void steppingDownFailsQueuedSubmissionsAsClosedAndANewTermOpensANewInbox() throws Exception {
    host.leaderReady();
    host.submit(entry(List.of(txn(1))));
    assertThat(awaitProposals(1)).isEqualTo(1);
    host.submit(entry(List.of(txn(2)))); // an eager slot is free: proposed at once
    assertThat(awaitProposals(2)).isEqualTo(2);
    CompletableFuture<Protocol.SubmitReply> queued = host.submit(entry(List.of(txn(3))));
    host.leaderChanged("n1", true);
    assertThat(host.inbox()).as("a change to this node keeps the inbox").isNotNull();
    host.leaderChanged(null, false);
    assertThat(host.inbox()).isNull();
    var r = (Protocol.SubmitRefused) queued.get(10, TimeUnit.SECONDS);
    assertThat(r.reason()).isEqualTo("CLOSED");
    assertThat(r.retryable()).isTrue();
    answers.get(0).completeExceptionally(new ProposalRejectedException("too old"));
    answers.get(1).completeExceptionally(new IllegalStateException("not leader"));
    host.leaderReady();
    assertThat(host.inbox()).isNotNull();
  }

  @Test
  void anEpochThatFailsIsARetryableRefusalAndARejectedOneIsFinal() throws Exception {
    host.leaderReady();
    CompletableFuture<Protocol.SubmitReply> a = host.submit(entry(List.of(txn(1))));
    assertThat(awaitProposals(1)).isEqualTo(1);
    CompletableFuture<Protocol.SubmitReply> b = host.submit(entry(List.of(txn(2))));
    assertThat(awaitProposals(2)).isEqualTo(2);
    answers.get(0).completeExceptionally(new IllegalStateException("no quorum"));
    answers.get(1).completeExceptionally(new ProposalRejectedException("proposerMs too far"));
    var ra = (Protocol.SubmitRefused) a.get(10, TimeUnit.SECONDS);
    assertThat(ra.reason()).isEqualTo("EPOCH_FAILED");
    assertThat(ra.retryable()).isTrue();
    var rb = (Protocol.SubmitRefused) b.get(10, TimeUnit.SECONDS);
    assertThat(rb.reason()).isEqualTo("REJECTED");
    assertThat(rb.retryable()).isFalse();
  }

  @Test
  void badInputIsRefusedBeforeTheInbox() throws Exception {
    host.leaderReady();
    var malformed = (Protocol.SubmitRefused) host.submit(ByteBuffer.wrap(new byte[] {1})).get();
    assertThat(malformed.reason()).isEqualTo("MALFORMED");
    assertThat(malformed.retryable()).isFalse();
    var named =
        (Protocol.SubmitRefused)
            host.submit(ByteBuffer.wrap(EntryEncoder.encode(new EpochBatch(3, 1, List.of(txn(1))))))
                .get();
    assertThat(named.message()).contains("without an epoch");
    var empty = (Protocol.SubmitRefused) host.submit(entry(List.of())).get();
    assertThat(empty.retryable()).isFalse();
    var tooLarge =
        (Protocol.SubmitRefused)
            host.submit(ByteBuffer.allocate(ProposalLimits.DEFAULTS.maxBatchBytes() + 1)).get();
    assertThat(tooLarge.reason()).isEqualTo("TOO_LARGE");
    assertThat(proposed).isEmpty();
  }
}
