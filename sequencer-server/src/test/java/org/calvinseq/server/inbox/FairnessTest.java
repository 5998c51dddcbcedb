package org.calvinseq.server.inbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.calvinseq.server.inbox.InboxFixtures.defaults;
import static org.calvinseq.server.inbox.InboxFixtures.txns;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.calvinseq.core.model.Txn;
import org.calvinseq.server.inbox.InboxFixtures.ManualClock;
import org.junit.jupiter.api.Test;

/**
 * Noisy tenants against quiet ones, through the whole component with a hand-driven clock and a
 * simulated Raft pipeline: each epoch commits a fixed time after it closed, so the pipeline, not
 * the test, is the bottleneck and the inbox holds a backlog.
 */
class FairnessTest {
  private static final long MS = 1_000_000;

  /** The inbox, a closer polling it every millisecond and a pipeline committing after a delay. */
  private static final class Sim {
    final ManualClock clock = new ManualClock();
    final LeaderInbox inbox;
    final long commitNanos;
    final ArrayDeque<Object[]> inFlight = new ArrayDeque<>(); // {ClosedEpoch, commit-at}
    final Map<Long, ClosedEpoch> byNumber = new HashMap<>();
    final List<ClosedEpoch> closed = new ArrayList<>();
    long nextEpoch;

    Sim(InboxSettings s, long commitMs) {
      inbox = new LeaderInbox(s, clock, InboxListener.NONE);
      commitNanos = commitMs * MS;
    }

    long now() {
      return clock.nanoTime();
    }

    /** Flooder {@code tenant} submits {@code size}-txn submissions until one is refused. */
    void flood(long tenant, int size) {
      while (!inbox.submit(txns(tenant, size)).isCompletedExceptionally()) {
        // keep going
      }
    }

    /** One millisecond: commits what is due, closes what may close, moves the clock. */
    void tick() {
      while (!inFlight.isEmpty() && (long) inFlight.peekFirst()[1] <= now()) {
        ClosedEpoch e = (ClosedEpoch) inFlight.pollFirst()[0];
        long number = nextEpoch++;
        byNumber.put(number, e);
        e.complete(InboxFixtures.applied(e, number));
      }
      ClosedEpoch e;
      while ((e = inbox.pollEpoch()) != null) {
        closed.add(e);
        inFlight.addLast(new Object[] {e, now() + commitNanos});
      }
      clock.advanceMillis(1);
    }

    /** Nanoseconds from {@code submittedAt} until the epoch of {@code receipt} closed. */
    long wait(long submittedAt, SubmissionReceipt receipt) {
      return byNumber.get(receipt.epoch().epoch()).closedNanos() - submittedAt;
    }
  }

  /**
   * One tenant floods (as much as it is admitted, every millisecond); another sends one txn every 7
   * ms. The quiet tenant is always admitted and each of its txns is in an epoch closed within one
   * epoch interval of its submission, although the flooder keeps about 80 ms of work waiting (its
   * whole share). First in, first out would put the quiet txns behind that backlog.
   */
  @Test
  void aFloodingTenantCannotStarveALowRateOne() {
    InboxSettings s = defaults().withInFlight(1, 2); // 2 epochs per 5 ms: about 400 txns/ms
    Sim sim = new Sim(s, 5);
    Map<CompletableFuture<SubmissionReceipt>, Long> quiet = new HashMap<>();
    for (int ms = 0; ms < 400; ms++) {
      sim.flood(1, 100); // ends with one refusal

      if (ms % 7 == 0) {
        CompletableFuture<SubmissionReceipt> f = sim.inbox.submit(txns(2, 1));
        assertThat(f).as("the quiet tenant is admitted").isNotCompletedExceptionally();
        quiet.put(f, sim.now());
      }
      sim.tick();
    }
    InboxStats st = sim.inbox.stats();
    assertThat(st.refusals().get(RefusalReason.TENANT_SHARE_TXNS))
        .as("every flood stopped at the flooder's share")
        .isEqualTo(400);
    assertThat(st.depthTxns())
        .as("the flooder's backlog: its whole share")
        .isGreaterThan(s.tenantShareTxns() - 1000);
    assertThat(st.epochsClosed().get(CloseReason.TXNS))
        .as("under the flood the epochs are full")
        .isGreaterThan(st.totalEpochsClosed() * 9 / 10);
    for (int i = 0; i < 20; i++) {
      sim.tick(); // let the last quiet txns commit
    }
    long worst = 0;
    for (Map.Entry<CompletableFuture<SubmissionReceipt>, Long> q : quiet.entrySet()) {
      assertThat(q.getKey()).isCompleted();
      worst = Math.max(worst, sim.wait(q.getValue(), q.getKey().join()));
    }
    assertThat(quiet).hasSizeGreaterThan(50);
    assertThat(worst)
        .as("the quiet tenant's longest wait for its epoch to close")
        .isLessThanOrEqualTo(s.epochInterval().toNanos());
  }

  /**
   * Eight tenants flood at once, each up to its 1/8 share: together they would fill the inbox, and
   * the reserve stops them short of it. Light tenants still get in and are served within one epoch
   * interval.
   */
  @Test
  void manyFloodersTogetherCannotShutOutALightTenant() {
    InboxSettings s = defaults().withInFlight(1, 2).withCapacity(65_536, 64L << 20, 8, 8);
    Sim sim = new Sim(s, 4);
    Map<CompletableFuture<SubmissionReceipt>, Long> light = new HashMap<>();
    for (int ms = 0; ms < 300; ms++) {
      for (long flooder = 1; flooder <= 8; flooder++) {
        sim.flood(flooder, 100);
      }
      if (ms % 5 == 0) {
        CompletableFuture<SubmissionReceipt> f = sim.inbox.submit(txns(100 + ms % 3, 20));
        assertThat(f).as("a light tenant is admitted").isNotCompletedExceptionally();
        light.put(f, sim.now());
      }
      sim.tick();
    }
    InboxStats st = sim.inbox.stats();
    assertThat(st.depthTxns())
        .as("the flooders fill the inbox up to the reserve")
        .isGreaterThan(s.capacityTxns() - s.reserveTxns() - 2000);
    assertThat(st.refusals().get(RefusalReason.RESERVED)).isPositive();
    for (int i = 0; i < 20; i++) {
      sim.tick();
    }
    for (Map.Entry<CompletableFuture<SubmissionReceipt>, Long> q : light.entrySet()) {
      assertThat(q.getKey()).isCompleted();
      assertThat(sim.wait(q.getValue(), q.getKey().join()))
          .isLessThanOrEqualTo(s.epochInterval().toNanos());
    }
  }

  /**
   * Three backlogged tenants, with 1-, 50- and 500-txn submissions: each gets about a third of the
   * epochs' txns (deficit round robin by cost), not a share in proportion to its submission size.
   */
  @Test
  void backloggedTenantsShareEpochsEvenlyWhateverTheirSubmissionSizes() {
    InboxSettings s = defaults().withInFlight(1, 1);
    ManualClock clock = new ManualClock();
    LeaderInbox inbox = new LeaderInbox(s, clock, InboxListener.NONE);
    int[] sizes = {1, 50, 500};
    long[] served = new long[3];
    int[] pending = new int[3];
    long total = 0;
    for (int round = 0; round < 300; round++) {
      for (int t = 0; t < 3; t++) {
        while (pending[t] < 3000) {
          assertThat(inbox.submit(txns(t, sizes[t]))).isNotCompletedExceptionally();
          pending[t] += sizes[t];
        }
      }
      ClosedEpoch e = inbox.pollEpoch();
      assertThat(e.reason()).isEqualTo(CloseReason.TXNS);
      for (Txn txn : e.batch().txns()) {
        served[(int) txn.tenantId()]++;
        pending[(int) txn.tenantId()]--;
      }
      total += e.txnCount();
      e.complete(InboxFixtures.applied(e, round));
      clock.advanceMillis(1);
    }
    assertThat(total).as("epochs nearly full").isGreaterThan(300L * 1024 * 9 / 10);
    for (int t = 0; t < 3; t++) {
      assertThat((double) served[t] / total).as("tenant %d's part", t).isBetween(0.30, 0.37);
    }
  }
}
