package org.calvinseq.core.dedupe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.NotSequenced;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.testing.ReferenceDedupe;
import org.junit.jupiter.api.Test;

/**
 * The de-duplication window, edge by edge (docs/wire-format.md section 9a), and against {@link
 * ReferenceDedupe}, a plain version of the same rules.
 */
class ClientWindowsTest {
  private static final long T0 = 1_700_000_000_000L;

  private static ClientTxnId id(long client, long seq) {
    return new ClientTxnId(client, seq);
  }

  @Test
  void aSequencedIdIsADuplicateOfWhereItWasFirstSequenced() {
    ClientWindows w = new ClientWindows(DedupeLimits.PROTOCOL);
    assertThat(w.check(id(1, 10), 0, 0, T0)).isNull();
    assertThat(w.check(id(1, 11), 0, 1, T0)).isNull();
    assertThat(w.check(id(1, 10), 3, 5, T0 + 5))
        .isEqualTo(NotSequenced.duplicate(5, new TxnId(0, 0)));
    assertThat(w.check(id(1, 11), 3, 6, T0 + 5))
        .isEqualTo(NotSequenced.duplicate(6, new TxnId(0, 1)));
    assertThat(w.runCount()).isEqualTo(1); // 10 and 11 at positions 0 and 1 of epoch 0: one run
  }

  @Test
  void clientsAndSequencesAreIndependent() {
    ClientWindows w = new ClientWindows(DedupeLimits.PROTOCOL);
    assertThat(w.check(id(1, 10), 0, 0, T0)).isNull();
    assertThat(w.check(id(2, 10), 0, 1, T0)).as("another client, same sequence").isNull();
    assertThat(w.check(id(1, 9), 0, 2, T0)).as("a lower sequence never seen: new").isNull();
    assertThat(w.check(id(1, 12), 1, 0, T0 + 1)).as("a gap above: new").isNull();
    assertThat(w.check(id(1, 11), 2, 0, T0 + 2)).as("the gap filled later: new").isNull();
    assertThat(w.clientCount()).isEqualTo(2);
  }

  @Test
  void runsAreConsecutiveSequencesAtConsecutivePositionsOfOneEpoch() {
    ClientWindows w = new ClientWindows(DedupeLimits.PROTOCOL);
    w.check(id(1, 0), 0, 0, T0);
    w.check(id(1, 1), 0, 1, T0); // extends
    w.check(id(1, 2), 0, 3, T0); // position skipped: a new run
    w.check(id(1, 3), 1, 4, T0 + 1); // next epoch: a new run
    w.check(id(1, 5), 1, 5, T0 + 1); // sequence skipped: a new run
    assertThat(w.runCount()).isEqualTo(4);
    assertThat(w.export().get(0).runs())
        .containsExactly(0, 1, 0, 0, 2, 2, 0, 3, 3, 3, 1, 4, 5, 5, 1, 5);
    assertThat(w.check(id(1, 1), 2, 0, T0 + 2)).isEqualTo(NotSequenced.duplicate(0, tid(0, 1)));
    assertThat(w.check(id(1, 2), 2, 1, T0 + 2)).isEqualTo(NotSequenced.duplicate(1, tid(0, 3)));
  }

  @Test
  void pastTheWindowTheLowestRunIsForgottenAndItsSequencesAreTooOld() {
    ClientWindows w = new ClientWindows(new DedupeLimits(2, 10, 1_000));
    w.check(id(1, 10), 0, 0, T0);
    w.check(id(1, 20), 1, 0, T0 + 1);
    assertThat(w.check(id(1, 30), 2, 0, T0 + 2)).isNull(); // a third run: 10 is forgotten
    assertThat(w.check(id(1, 10), 3, 0, T0 + 3)).isEqualTo(NotSequenced.tooOld(0));
    assertThat(w.check(id(1, 5), 3, 1, T0 + 3)).as("below the forgotten run").isEqualTo(tooOld(1));
    assertThat(w.check(id(1, 15), 3, 2, T0 + 3)).as("above it, never seen: new").isNull();
    // 15 made a run: 15, 20, 30 is one too many, so 15 is forgotten at once
    assertThat(w.check(id(1, 15), 4, 0, T0 + 4)).isEqualTo(NotSequenced.tooOld(0));
    assertThat(w.check(id(1, 20), 4, 1, T0 + 4)).isEqualTo(NotSequenced.duplicate(1, tid(1, 0)));
    assertThat(w.export().get(0).forgottenThrough()).isEqualTo(15);
  }

  @Test
  void anIdleClientExpiresByEpochTimeAndIsThenNew() {
    ClientWindows w = new ClientWindows(new DedupeLimits(4, 10, 1_000));
    w.check(id(1, 1), 0, 0, T0);
    w.check(id(2, 1), 0, 1, T0);
    assertThat(w.expire(T0 + 1_000)).as("exactly the expiry: kept").isZero();
    w.check(id(2, 2), 1, 0, T0 + 1_000); // client 2 seen again
    assertThat(w.expire(T0 + 1_001)).as("client 1 idle for more than the expiry").isEqualTo(1);
    assertThat(w.clientCount()).isEqualTo(1);
    assertThat(w.check(id(1, 1), 2, 0, T0 + 1_001)).as("forgotten: a retry is new").isNull();
    assertThat(w.check(id(2, 1), 2, 1, T0 + 1_001)).isEqualTo(dup(1, 0, 1));
    assertThat(w.expiredCount()).isEqualTo(1);
  }

  @Test
  void aDuplicateOrTooOldTxnCountsAsActivity() {
    ClientWindows w = new ClientWindows(new DedupeLimits(1, 10, 1_000));
    w.check(id(1, 1), 0, 0, T0);
    w.check(id(1, 2), 1, 0, T0 + 1); // 1 forgotten
    w.check(id(1, 1), 2, 0, T0 + 900); // too old, but the client is active
    assertThat(w.expire(T0 + 1_500)).isZero();
    assertThat(w.check(id(1, 2), 3, 0, T0 + 1_500)).isEqualTo(dup(0, 1, 0));
  }

  @Test
  void pastTheCapTheLeastRecentlySeenClientIsForgotten() {
    ClientWindows w = new ClientWindows(new DedupeLimits(4, 3, 1_000_000));
    w.check(id(1, 1), 0, 0, T0);
    w.check(id(2, 1), 0, 1, T0);
    w.check(id(3, 1), 0, 2, T0);
    w.check(id(1, 1), 1, 0, T0 + 1); // client 1 seen again: client 2 is now the least recent
    assertThat(w.check(id(4, 1), 1, 1, T0 + 1)).isNull();
    assertThat(w.clientCount()).isEqualTo(3);
    assertThat(w.evictedCount()).isEqualTo(1);
    assertThat(w.export()).extracting(ClientWindows.Client::clientId).containsExactly(3L, 1L, 4L);
    assertThat(w.check(id(2, 1), 2, 0, T0 + 2)).as("client 2 forgotten: new").isNull();
    assertThat(w.check(id(1, 1), 2, 1, T0 + 2)).isEqualTo(dup(1, 0, 0));
  }

  @Test
  void sequencesCompareUnsignedAcrossTheSignBoundary() {
    ClientWindows w = new ClientWindows(new DedupeLimits(1, 10, 1_000));
    w.check(id(1, Long.MAX_VALUE), 0, 0, T0);
    w.check(id(1, Long.MIN_VALUE), 0, 1, T0); // 2^63 follows 2^63-1: the same run
    assertThat(w.runCount()).isEqualTo(1);
    assertThat(w.check(id(1, -1), 1, 0, T0 + 1)).isNull(); // 2^64-1, a second run: forgets first
    assertThat(w.check(id(1, Long.MIN_VALUE), 2, 0, T0 + 2)).isEqualTo(tooOld(0));
    assertThat(w.check(id(1, 0), 2, 1, T0 + 2))
        .as("0 is the lowest, not above 2^64-1")
        .isEqualTo(tooOld(1));
    assertThat(w.check(id(1, -1), 2, 2, T0 + 2)).isEqualTo(dup(2, 1, 0));
  }

  @Test
  void theRunForgottenIsTheLowestEvenWhenItIsTheNewest() {
    ClientWindows w = new ClientWindows(new DedupeLimits(1, 10, 1_000));
    w.check(id(1, -1), 0, 0, T0); // 2^64-1: no sequence is above it
    assertThat(w.check(id(1, 0), 1, 0, T0 + 1)).isNull(); // new, and at once forgotten
    assertThat(w.check(id(1, 0), 2, 0, T0 + 2)).isEqualTo(tooOld(0));
    assertThat(w.check(id(1, 1), 2, 1, T0 + 2)).isNull(); // above the forgotten: new (then gone)
    assertThat(w.export().get(0).forgottenThrough()).isEqualTo(1);
    assertThat(w.check(id(1, -1), 2, 2, T0 + 2)).isEqualTo(dup(2, 0, 0));
  }

  @Test
  void aWindowThatForgotTheLargestSequenceRefusesEverySequence() {
    ClientWindows w = new ClientWindows(DedupeLimits.PROTOCOL);
    w.load(List.of(new ClientWindows.Client(1, T0, true, -1, new long[0])));
    assertThat(w.check(id(1, -1), 0, 0, T0)).isEqualTo(tooOld(0));
    assertThat(w.check(id(1, 0), 0, 1, T0)).isEqualTo(tooOld(1));
    assertThat(w.check(id(2, 0), 0, 2, T0)).as("another client").isNull();
  }

  @Test
  void hostileIdsAndTimesNeverThrow() {
    ClientWindows w = new ClientWindows(new DedupeLimits(3, 4, 1));
    long[] values = {0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE + 1};
    long[] times = {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE - 1, Long.MAX_VALUE};
    int pos = 0;
    for (long c : values) {
      for (long s : values) {
        for (long t : times) {
          w.expire(t);
          w.check(id(c, s), 0, pos++, t);
        }
      }
    }
    assertThat(w.clientCount()).isLessThanOrEqualTo(4);
    for (ClientWindows.Client c : w.export()) {
      assertThat(c.runs().length / 4).isLessThanOrEqualTo(3);
    }
  }

  @Test
  void exportAndLoadKeepTheStateAndTheOrder() {
    ClientWindows w = new ClientWindows(new DedupeLimits(3, 5, 1_000));
    SplittableRandom rnd = new SplittableRandom(7);
    for (int e = 0; e < 40; e++) {
      for (int p = 0; p < 5; p++) {
        w.check(id(rnd.nextInt(7), rnd.nextInt(30)), e, p, T0 + e);
      }
    }
    ClientWindows back = new ClientWindows(new DedupeLimits(3, 5, 1_000));
    back.load(w.export());
    assertThat(back.export()).isEqualTo(w.export());
    assertThat(back.runCount()).isEqualTo(w.runCount());
    for (int i = 0; i < 50; i++) { // both go on alike
      ClientTxnId x = id(rnd.nextInt(9), rnd.nextInt(40));
      w.expire(T0 + 40 + i);
      back.expire(T0 + 40 + i);
      assertThat(back.check(x, 40 + i, 0, T0 + 40 + i))
          .isEqualTo(w.check(x, 40 + i, 0, T0 + 40 + i));
    }
    assertThat(back.export()).isEqualTo(w.export());
  }

  @Test
  void loadAppliesSmallerLimitsAsTheApplyPathWould() {
    ClientWindows w = new ClientWindows(new DedupeLimits(4, 4, 1_000));
    for (int c = 0; c < 4; c++) {
      for (int e = 0; e < 4; e++) {
        w.check(id(c, e * 10), e, c, T0 + e);
      }
    }
    ClientWindows small = new ClientWindows(new DedupeLimits(2, 3, 1_000));
    small.load(w.export());
    assertThat(small.clientCount()).isEqualTo(3);
    assertThat(small.export())
        .extracting(ClientWindows.Client::clientId)
        .containsExactly(1L, 2L, 3L);
    assertThat(small.check(id(1, 10), 9, 0, T0 + 9)).isEqualTo(tooOld(0));
    assertThat(small.check(id(1, 20), 9, 1, T0 + 9)).isEqualTo(dup(1, 2, 1));
  }

  @Test
  void aSnapshotValueRefusesMalformedWindows() {
    assertThatThrownBy(() -> new ClientWindows.Client(1, 0, false, 0, new long[] {5, 4, 0, 0}))
        .as("last below first")
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> new ClientWindows.Client(1, 0, false, 0, new long[] {1, 2, 0, 0, 2, 3, 0, 5}))
        .as("overlapping runs")
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ClientWindows.Client(1, 0, true, 9, new long[] {9, 9, 0, 0}))
        .as("a run at or below the forgotten sequences")
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ClientWindows.Client(1, 0, false, 0, new long[] {0, -1, 0, 0}))
        .as("a run longer than a batch can be")
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> new ClientWindows.Client(1, 0, false, 0, new long[] {0, 1, 0, Integer.MAX_VALUE}))
        .as("positions past 2^31-1")
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ClientWindows.Client(1, 0, false, 0, new long[] {0, 0, -1, 0}))
        .as("a negative epoch")
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ClientWindows.Client(1, 0, false, 0, new long[] {0, 0, 0}))
        .isInstanceOf(IllegalArgumentException.class);
    ClientWindows w = new ClientWindows(DedupeLimits.PROTOCOL);
    ClientWindows.Client c = new ClientWindows.Client(1, 0, false, 0, new long[] {0, 0, 0, 0});
    assertThatThrownBy(() -> w.load(List.of(c, c))).isInstanceOf(IllegalArgumentException.class);
  }

  /** The window against the plain rules, on random batches with small limits. */
  @Property(tries = 200)
  void agreesWithThePlainRules(
      @ForAll long seed,
      @ForAll @IntRange(min = 1, max = 4) int runs,
      @ForAll @IntRange(min = 1, max = 4) int clients,
      @ForAll @IntRange(min = 1, max = 30) int expiry) {
    DedupeLimits limits = new DedupeLimits(runs, clients, expiry);
    ClientWindows w = new ClientWindows(limits);
    ReferenceDedupe ref = new ReferenceDedupe(limits);
    SplittableRandom rnd = new SplittableRandom(seed);
    long[] edges = {0, 1, -1, -2, Long.MAX_VALUE, Long.MIN_VALUE};
    long ms = rnd.nextLong(100);
    for (long epoch = 0; epoch < 60; epoch++) {
      ms += 1 + rnd.nextInt(12);
      List<Txn> txns = new ArrayList<>();
      for (int i = rnd.nextInt(6); i > 0; i--) {
        long c = rnd.nextInt(6);
        long s = rnd.nextInt(5) == 0 ? edges[rnd.nextInt(edges.length)] : rnd.nextInt(12);
        txns.add(rnd.nextInt(8) == 0 ? txn(null) : txn(id(c, s)));
      }
      assertThat(w.decide(txns, epoch, ms))
          .as("epoch %d", epoch)
          .isEqualTo(ref.decide(txns, epoch, ms));
      assertThat(w.clientCount()).isEqualTo(ref.clientCount());
    }
  }

  private static Txn txn(ClientTxnId id) {
    return new Txn(id, 0, List.of(), List.of(), new byte[0]);
  }

  private static TxnId tid(long epoch, int position) {
    return new TxnId(epoch, position);
  }

  private static NotSequenced dup(int position, long epoch, int originalPosition) {
    return NotSequenced.duplicate(position, tid(epoch, originalPosition));
  }

  private static NotSequenced tooOld(int position) {
    return NotSequenced.tooOld(position);
  }
}
