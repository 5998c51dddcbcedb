package org.calvinseq.server.inbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.calvinseq.server.inbox.InboxFixtures.defaults;
import static org.calvinseq.server.inbox.InboxFixtures.txn;
import static org.calvinseq.server.inbox.InboxFixtures.txns;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.calvinseq.core.codec.ProposalLimits;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.Txn;
import org.calvinseq.server.inbox.InboxFixtures.ManualClock;
import org.junit.jupiter.api.Test;

/** Bad input, capacity, tenant shares and the reserve: what is refused, and what it says. */
class AdmissionTest {
  private final ManualClock clock = new ManualClock();

  private static InboxRefusedException refusal(CompletableFuture<SubmissionReceipt> f) {
    assertThat(f).as("refused at once").isCompletedExceptionally();
    try {
      f.join();
    } catch (CompletionException e) {
      assertThat(e.getCause()).isInstanceOf(InboxRefusedException.class);
      return (InboxRefusedException) e.getCause();
    }
    throw new AssertionError("not refused");
  }

  private static void admitted(CompletableFuture<SubmissionReceipt> f) {
    assertThat(f).as("admitted: pending until its epoch applies").isNotDone();
  }

  @Test
  void badInputIsRefusedBeforeTheInboxWithAClearMessage() {
    LeaderInbox inbox = new LeaderInbox(defaults(), clock, InboxListener.NONE);

    InboxRefusedException empty = refusal(inbox.submit(List.of()));
    assertThat(empty.reason()).isEqualTo(RefusalReason.EMPTY);
    assertThat(empty).hasMessage("submission refused: it has no txns");
    assertThat(empty.tenant()).isEmpty();

    InboxRefusedException many = refusal(inbox.submit(txns(7, 1025)));
    assertThat(many.reason()).isEqualTo(RefusalReason.TOO_MANY_TXNS);
    assertThat(many)
        .hasMessage(
            "submission of tenant 7 refused: it has 1,025 txns, over the limit of 1,024 per epoch"
                + " (a submission goes into one epoch whole); split it");
    assertThat(many.tenant()).hasValue(7);

    List<Txn> noKeys = new ArrayList<>(txns(7, 3));
    noKeys.add(new Txn(null, 7, List.of(), List.of(), new byte[1]));
    InboxRefusedException invalid = refusal(inbox.submit(noKeys));
    assertThat(invalid.reason()).isEqualTo(RefusalReason.INVALID_TXN);
    assertThat(invalid)
        .hasMessage(
            "submission of tenant 7 refused: txns[3] has no keys: a txn must read or write at"
                + " least one key");

    List<Txn> bigPayload = List.of(txn(7, (1 << 20) + 1));
    assertThat(refusal(inbox.submit(bigPayload)))
        .hasMessage(
            "submission of tenant 7 refused: txns[0] payload is 1048577 bytes, over the limit of"
                + " 1048576");

    // Four 1 MiB txns: each fits an epoch, together they do not.
    InboxRefusedException large = refusal(inbox.submit(txns(7, 4, 1 << 20)));
    assertThat(large.reason()).isEqualTo(RefusalReason.TOO_LARGE);
    assertThat(large.getMessage())
        .startsWith("submission of tenant 7 refused: its 4 txns encode to up to 4,194,")
        .endsWith(
            " bytes with the entry's overhead, over the limit of 4,194,304 bytes per epoch (a"
                + " submission goes into one epoch whole); split it");

    for (InboxRefusedException e : List.of(empty, many, invalid, large)) {
      assertThat(e.reason().retryable()).isFalse();
      assertThat(e.retryAfter()).isNull();
    }
    InboxStats st = inbox.stats();
    assertThat(st.depthTxns()).as("nothing partial queued").isZero();
    assertThat(st.submissionsAdmitted()).isZero();
    assertThat(st.refusals())
        .containsEntry(RefusalReason.EMPTY, 1L)
        .containsEntry(RefusalReason.TOO_MANY_TXNS, 1L)
        .containsEntry(RefusalReason.INVALID_TXN, 2L)
        .containsEntry(RefusalReason.TOO_LARGE, 1L);
    assertThat(st.topRefusedTenants()).as("bad input is not load").isEmpty();
  }

  @Test
  void aTxnLargerThanAnEpochIsRefused() {
    ProposalLimits limits = new ProposalLimits(8 * 1024, 10_000, 16, 8 * 1024);
    InboxSettings s = InboxSettings.defaults(limits).withEpochLimits(100, 4096);
    LeaderInbox inbox = new LeaderInbox(s, clock, InboxListener.NONE);
    InboxRefusedException e = refusal(inbox.submit(List.of(txn(3, 10), txn(3, 5000))));
    assertThat(e.reason()).isEqualTo(RefusalReason.TOO_LARGE);
    assertThat(e.getMessage())
        .matches(
            "submission of tenant 3 refused: txns\\[1\\] encodes to up to 5,0\\d\\d bytes, which"
                + " with the entry's 64-byte overhead is over the limit of 4,096 bytes per epoch");
  }

  @Test
  void aTenantOverItsShareIsRefusedWithTheLimitTheTenantAndARetryHint() {
    LeaderInbox inbox = new LeaderInbox(defaults(), clock, InboxListener.NONE);
    for (int i = 0; i < 32; i++) {
      admitted(inbox.submit(txns(7, 1000)));
    }
    InboxRefusedException e = refusal(inbox.submit(txns(7, 1000)));
    assertThat(e.reason()).isEqualTo(RefusalReason.TENANT_SHARE_TXNS);
    assertThat(e.tenant()).hasValue(7);
    assertThat(e)
        .hasMessage(
            "inbox full for tenant 7: it holds 32,000 txns and this submission adds 1,000, over"
                + " its share of 32,768 txns (1/8 of the inbox's 262,144); retry after ~10 ms");
    assertThat(e.retryAfter()).isEqualTo(Duration.ofMillis(10));
    assertThat(e.reason().retryable()).isTrue();
    admitted(inbox.submit(txns(7, 768))); // exactly the share
    admitted(inbox.submit(txns(8, 1000))); // another tenant
    assertThat(inbox.stats().depthTxns()).isEqualTo(32_768 + 1000);
  }

  @Test
  void aTenantOverItsByteShareIsRefused() {
    ProposalLimits limits = new ProposalLimits(64 * 1024, 10_000, 16, 8 * 1024);
    InboxSettings s =
        InboxSettings.defaults(limits)
            .withEpochLimits(1000, 16 * 1024)
            .withCapacity(10_000, 128 * 1024, 8, 0);
    LeaderInbox inbox = new LeaderInbox(s, clock, InboxListener.NONE);
    for (int i = 0; i < 3; i++) {
      admitted(inbox.submit(txns(5, 4, 1000))); // about 4,270 bytes each
    }
    InboxRefusedException e = refusal(inbox.submit(txns(5, 4, 1000)));
    assertThat(e.reason()).isEqualTo(RefusalReason.TENANT_SHARE_BYTES);
    assertThat(e.getMessage())
        .matches(
            "inbox full for tenant 5: it holds 12,\\d{3} bytes and this submission adds"
                + " 4,\\d{3}, over its share of 16,384 bytes \\(1/8 of the inbox's 131,072\\);"
                + " retry after ~\\d+ ms");
  }

  @Test
  void theWholeInboxHasACapacityInTxnsAndBytes() {
    InboxSettings s = defaults().withCapacity(4096, 64L << 20, 1, 0); // one tenant may fill it
    LeaderInbox inbox = new LeaderInbox(s, clock, InboxListener.NONE);
    for (int i = 0; i < 4; i++) {
      admitted(inbox.submit(txns(i, 1000)));
    }
    InboxRefusedException e = refusal(inbox.submit(txns(9, 100)));
    assertThat(e.reason()).isEqualTo(RefusalReason.INBOX_FULL_TXNS);
    assertThat(e)
        .hasMessage(
            "inbox full: it holds 4,000 of 4,096 txns and this submission of tenant 9 adds 100;"
                + " retry after ~10 ms");
    admitted(inbox.submit(txns(9, 96)));

    InboxSettings b = defaults().withCapacity(100_000, 4L << 20, 1, 0);
    LeaderInbox bytes = new LeaderInbox(b, clock, InboxListener.NONE);
    admitted(bytes.submit(txns(1, 3, 1 << 20)));
    InboxRefusedException eb = refusal(bytes.submit(txns(2, 1, 1 << 20)));
    assertThat(eb.reason()).isEqualTo(RefusalReason.INBOX_FULL_BYTES);
    assertThat(eb.getMessage())
        .startsWith("inbox full: it holds 3,145,")
        .contains(" of 4,194,304 bytes and this submission of tenant 2 adds 1,048,");
  }

  /**
   * Heavy tenants within their shares could fill the inbox together; the reserve stops them short
   * of it, and a light tenant still gets in.
   */
  @Test
  void theReserveKeepsRoomForLightTenantsWhenHeavyOnesFillTheInbox() {
    // Share 2,048 txns, the last 4,096 of 16,384 reserved for tenants holding at most 1,024.
    InboxSettings s = defaults().withCapacity(16_384, 64L << 20, 8, 4);
    LeaderInbox inbox = new LeaderInbox(s, clock, InboxListener.NONE);
    List<Long> refusedHeavy = new ArrayList<>();
    for (long tenant = 1; tenant <= 8; tenant++) {
      for (int i = 0; i < 2; i++) {
        CompletableFuture<SubmissionReceipt> f = inbox.submit(txns(tenant, 1024));
        if (f.isCompletedExceptionally()) {
          assertThat(refusal(f).reason()).isEqualTo(RefusalReason.RESERVED);
          refusedHeavy.add(tenant);
        }
      }
    }
    assertThat(refusedHeavy)
        .as("tenants 7 and 8 got their first epoch's worth from the reserve, not a second")
        .containsExactly(7L, 8L);
    assertThat(inbox.stats().depthTxns()).isEqualTo(14 * 1024);
    admitted(inbox.submit(txns(100, 1024))); // light: at most one epoch's worth
    InboxRefusedException e = refusal(inbox.submit(txns(100, 1)));
    assertThat(e.reason()).as("no longer light").isEqualTo(RefusalReason.RESERVED);
    assertThat(e.getMessage())
        .matches(
            "inbox nearly full for tenant 100: it would hold 15,361 of 16,384 txns and [\\d,]+ of"
                + " 67,108,864 bytes, and its last 1/4 is reserved for tenants holding at most"
                + " 1,024 txns and 4,194,304 bytes; tenant 100 would hold 1,025 txns and [\\d,]+"
                + " bytes; retry after ~40 ms");
    admitted(inbox.submit(txns(101, 500))); // another light tenant
  }

  @Test
  void aSubmissionMixingTenantsIsChargedToEachOfThem() {
    InboxSettings s = defaults().withCapacity(8192, 64L << 20, 8, 0); // share 1,024
    LeaderInbox inbox = new LeaderInbox(s, clock, InboxListener.NONE);
    admitted(inbox.submit(txns(2, 1000)));
    List<Txn> mixed = new ArrayList<>(txns(1, 10));
    mixed.addAll(txns(2, 30)); // tenant 2 would hold 1,030
    InboxRefusedException e = refusal(inbox.submit(mixed));
    assertThat(e.reason()).isEqualTo(RefusalReason.TENANT_SHARE_TXNS);
    assertThat(e.tenant()).as("the tenant over its share, not the lane's").hasValue(2);
    assertThat(e.getMessage()).startsWith("inbox full for tenant 2: it holds 1,000 txns");
    assertThat(inbox.stats().depthTxns()).isEqualTo(1000);
  }

  @Test
  void refusalsAreCountedByReasonAndTheTopTenantsStayBounded() {
    InboxSettings s = defaults().withCapacity(8192, 64L << 20, 8, 0); // share 1,024: 8 tenants
    LeaderInbox inbox = new LeaderInbox(s, clock, InboxListener.NONE);
    for (long tenant = 0; tenant < 100; tenant++) {
      inbox.submit(txns(tenant, 1024)); // tenants 0 to 7 fill the inbox, the rest are refused
      refusal(inbox.submit(txns(tenant, 1)));
    }
    for (int i = 0; i < 50; i++) {
      refusal(inbox.submit(txns(42, 1)));
    }
    InboxStats st = inbox.stats();
    assertThat(st.submissionsAdmitted()).isEqualTo(8);
    assertThat(st.refusals())
        .containsEntry(RefusalReason.TENANT_SHARE_TXNS, 8L)
        .containsEntry(RefusalReason.INBOX_FULL_TXNS, 92L + 92 + 50);
    assertThat(st.totalRefusals()).isEqualTo(8L + 92 + 92 + 50);
    assertThat(st.topRefusedTenants()).hasSize(LeaderInbox.TOP_TENANTS);
    assertThat(st.topRefusedTenants().get(0).tenantId()).isEqualTo(42);
    assertThat(st.topRefusedTenants().get(0).count()).isGreaterThanOrEqualTo(52);
  }

  @Test
  void aClosedInboxRefusesAndFailsWhatWasPending() {
    LeaderInbox inbox = new LeaderInbox(defaults(), clock, InboxListener.NONE);
    CompletableFuture<SubmissionReceipt> pending = inbox.submit(txns(4, 10));
    inbox.close("node n1 is no longer the leader", null);
    InboxRefusedException failed = refusal(pending);
    assertThat(failed.reason()).isEqualTo(RefusalReason.CLOSED);
    assertThat(failed)
        .hasMessage(
            "inbox closed: node n1 is no longer the leader before its epoch closed; retry on the"
                + " current leader");
    InboxRefusedException later = refusal(inbox.submit(txns(4, 10)));
    assertThat(later.reason()).isEqualTo(RefusalReason.CLOSED);
    assertThat(later.retryAfter()).isEqualTo(Duration.ZERO);
    assertThat(inbox.stats().depthTxns()).isZero();
    assertThat(inbox.pollEpoch()).isNull();
  }

  @Test
  void theRetryHintFollowsHowFastEpochsClose() {
    InboxSettings s = defaults().withInFlight(0, 1_000).withCapacity(8192, 64L << 20, 8, 0);
    LeaderInbox inbox = new LeaderInbox(s, clock, InboxListener.NONE);
    // Epochs close every 2 ms: the pace drops from the 10 ms interval towards 2 ms.
    for (int i = 0; i < 60; i++) {
      inbox.submit(txns(1, 1024));
      clock.advanceMillis(2);
      assertThat(inbox.pollEpoch().reason()).isEqualTo(CloseReason.TXNS);
    }
    admitted(inbox.submit(txns(1, 1024)));
    InboxRefusedException e = refusal(inbox.submit(txns(1, 1000)));
    assertThat(e.retryAfter().toMillis()).isEqualTo(2);
    // Eight tenants backlogged: this one drains at an eighth of the epochs.
    for (long t = 2; t <= 8; t++) {
      admitted(inbox.submit(txns(t, 1)));
    }
    InboxRefusedException e8 = refusal(inbox.submit(txns(1, 1000)));
    assertThat(e8.retryAfter().toMillis()).isEqualTo(16);
    assertThat(e8.getMessage()).endsWith("; retry after ~16 ms");
  }

  @Test
  void anAdmittedSubmissionClosesIntoItsBatchUnchanged() {
    LeaderInbox inbox = new LeaderInbox(defaults(), clock, InboxListener.NONE);
    Txn t = new Txn(null, 1, List.of(Key.of("a", "1")), List.of(Key.of("b", "2")), new byte[0]);
    admitted(inbox.submit(List.of(t)));
    ClosedEpoch e = inbox.pollEpoch();
    assertThat(e.batch().txns()).containsExactly(t);
  }
}
