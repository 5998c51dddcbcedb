package org.calvinseq.server.inbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.calvinseq.server.inbox.InboxFixtures.defaults;
import static org.calvinseq.server.inbox.InboxFixtures.txns;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.calvinseq.core.codec.EncodedSize;
import org.calvinseq.core.codec.EntryEncoder;
import org.calvinseq.core.codec.ProposalLimits;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Txn;
import org.junit.jupiter.api.Test;

/** When the former closes an epoch, with what, and why: time passed in by hand. */
class EpochFormerTest {
  private static final long MS = 1_000_000;

  private final InboxSettings settings = defaults(); // 10 ms, 1,024 txns, 4 MiB, K = 2, max 8
  private final EpochFormer former = new EpochFormer(settings, 10);
  private long now = 5_000 * MS;

  private Submission admit(List<Txn> txns) {
    Submission s = Submission.prepare(txns, settings);
    assertThat(former.admit(s, now)).isNull();
    return s;
  }

  @Test
  void lightLoadClosesEachSubmissionAtOnceWhileEagerSlotsAreFree() {
    assertThat(former.close(now)).as("nothing pending").isNull();
    admit(txns(1, 3));
    EpochFormer.Formed first = former.close(now);
    assertThat(first.reason()).isEqualTo(CloseReason.SLOT);
    assertThat(first.txns()).isEqualTo(3);
    assertThat(first.sequence()).isEqualTo(1);
    admit(txns(2, 1));
    EpochFormer.Formed second = former.close(now);
    assertThat(second.reason()).isEqualTo(CloseReason.SLOT);
    assertThat(former.inFlight()).isEqualTo(2);

    admit(txns(3, 1));
    assertThat(former.close(now))
        .as("K = 2 epochs in flight: wait for a slot or the interval")
        .isNull();
    former.epochDone(true);
    assertThat(former.close(now).reason()).isEqualTo(CloseReason.SLOT);
  }

  @Test
  void withTheEagerSlotsBusyTheOldestSubmissionWaitsAtMostTheInterval() {
    fillEagerSlots();
    admit(txns(1, 5));
    assertThat(former.nanosUntilDue(now)).isEqualTo(10 * MS);
    now += 4 * MS;
    admit(txns(2, 5));
    assertThat(former.nanosUntilDue(now)).as("measured from the oldest").isEqualTo(6 * MS);
    now += 6 * MS - 1;
    assertThat(former.close(now)).isNull();
    now += 1;
    EpochFormer.Formed e = former.close(now);
    assertThat(e.reason()).isEqualTo(CloseReason.INTERVAL);
    assertThat(e.txns()).as("both submissions, the younger too").isEqualTo(10);
    assertThat(former.nanosUntilDue(now)).as("nothing pending").isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void aFullEpochClosesAtOnceEvenWithTheEagerSlotsBusy() {
    fillEagerSlots();
    admit(txns(1, 1000));
    assertThat(former.close(now)).isNull();
    admit(txns(2, 100));
    EpochFormer.Formed e = former.close(now);
    assertThat(e.reason()).isEqualTo(CloseReason.TXNS);
    assertThat(e.txns())
        .as("the cheaper lane's turn comes first; the 1,000 do not fit beside it")
        .isEqualTo(100);
    assertThat(former.close(now)).as("1,000 txns left: not full").isNull();
    now += 10 * MS;
    assertThat(former.close(now).txns()).isEqualTo(1000);
  }

  @Test
  void bytesFillAnEpochBeforeTxnsDo() {
    fillEagerSlots();
    // 4 txns of 1 MiB payload: 4 MiB + headers, over the 4 MiB epoch.
    admit(txns(1, 2, 1 << 20));
    assertThat(former.close(now)).isNull();
    admit(txns(1, 2, 1 << 20));
    EpochFormer.Formed e = former.close(now);
    assertThat(e.reason()).isEqualTo(CloseReason.BYTES);
    assertThat(e.txns()).isEqualTo(2);
    assertThat(e.bytes()).isLessThanOrEqualTo(settings.maxBytesPerEpoch());
  }

  @Test
  void nothingClosesAtMaxInFlightNotEvenOverdueOrFull() {
    InboxSettings s = settings.withInFlight(1, 2);
    EpochFormer f = new EpochFormer(s, 10);
    for (int i = 0; i < 2; i++) {
      assertThat(f.admit(Submission.prepare(txns(1, 1), s), now)).isNull();
      now += 10 * MS; // the second closes on the interval
      assertThat(f.close(now)).isNotNull();
    }
    assertThat(f.admit(Submission.prepare(txns(1, 1024), s), now)).isNull();
    now += 50 * MS;
    assertThat(f.due(now)).as("full and overdue, but 2 of 2 in flight").isNull();
    assertThat(f.nanosUntilDue(now)).isEqualTo(Long.MAX_VALUE);
    f.epochDone(false);
    assertThat(f.due(now)).isEqualTo(CloseReason.TXNS);
    assertThat(f.close(now).txns()).isEqualTo(1024);
    assertThat(f.stats().epochsFailed()).isEqualTo(1);
  }

  @Test
  void closeReasonsAndFillAreCounted() {
    long bytes = 0;
    admit(txns(1, 1));
    bytes += former.close(now).bytes(); // SLOT
    admit(txns(1, 1));
    bytes += former.close(now).bytes(); // SLOT
    admit(txns(1, 1));
    now += 10 * MS;
    bytes += former.close(now).bytes(); // INTERVAL
    admit(txns(1, 1024));
    bytes += former.close(now).bytes(); // TXNS
    InboxStats st = former.stats();
    assertThat(st.epochsClosed())
        .containsEntry(CloseReason.SLOT, 2L)
        .containsEntry(CloseReason.INTERVAL, 1L)
        .containsEntry(CloseReason.TXNS, 1L)
        .containsEntry(CloseReason.BYTES, 0L);
    assertThat(st.txnsClosed()).isEqualTo(1027);
    assertThat(st.bytesClosed()).isEqualTo(bytes).isGreaterThan(4L * EncodedSize.BATCH_OVERHEAD);
    assertThat(st.inFlight()).isEqualTo(4);
    assertThat(st.submissionsAdmitted()).isEqualTo(4);
  }

  /**
   * Random submissions of random tenants and sizes, closed at random moments with random outcomes:
   * every epoch is within the limits (its real encoding too), every submission goes whole into
   * exactly one epoch, contiguous and in order, and each tenant's submissions keep their order
   * across epochs.
   */
  @Test
  void epochsHoldWholeSubmissionsInOrderWithinTheLimits() {
    ProposalLimits limits = new ProposalLimits(64 * 1024, 10_000, 16, 8 * 1024);
    InboxSettings s =
        InboxSettings.defaults(limits)
            .withEpochLimits(200, 32 * 1024)
            .withInFlight(1, 3)
            .withCapacity(8_000, 1 << 20, 4, 8);
    EpochFormer f = new EpochFormer(s, 10);
    Random rnd = new Random(42);
    Map<Long, List<Submission>> admittedByTenant = new HashMap<>();
    Map<Submission, Long> epochOf = new HashMap<>();
    List<EpochFormer.Formed> inFlight = new ArrayList<>();
    long t = 0;
    int admitted = 0;
    for (int step = 0; step < 20_000; step++) {
      t += rnd.nextInt(3) * MS / 2;
      int action = rnd.nextInt(10);
      if (action < 6) {
        long tenant = rnd.nextInt(6);
        List<Txn> txns = new ArrayList<>();
        for (int i = 1 + rnd.nextInt(rnd.nextBoolean() ? 5 : 150); i > 0; i--) {
          // Mostly the lane's tenant, sometimes another one mixed in.
          txns.add(InboxFixtures.txn(rnd.nextInt(8) == 0 ? 7 : tenant, rnd.nextInt(300)));
        }
        Submission sub;
        try {
          sub = Submission.prepare(txns, s);
        } catch (InboxRefusedException bad) {
          assertThat(bad.reason()).isEqualTo(RefusalReason.TOO_LARGE);
          continue;
        }
        if (f.admit(sub, t) == null) {
          admitted++;
          admittedByTenant.computeIfAbsent(sub.lane, k -> new ArrayList<>()).add(sub);
        }
      } else if (action < 9) {
        EpochFormer.Formed e = f.close(t);
        if (e != null) {
          check(e, s);
          for (Submission sub : e.submissions()) {
            assertThat(epochOf.put(sub, e.sequence())).as("taken once").isNull();
          }
          inFlight.add(e);
        }
      } else if (!inFlight.isEmpty()) {
        inFlight.remove(rnd.nextInt(inFlight.size()));
        f.epochDone(rnd.nextBoolean());
      }
    }
    // Drain what is left.
    while (!inFlight.isEmpty() || !f.isEmpty()) {
      t += 20 * MS;
      EpochFormer.Formed e = f.close(t);
      if (e != null) {
        check(e, s);
        e.submissions().forEach(sub -> epochOf.put(sub, e.sequence()));
        inFlight.add(e);
      } else {
        inFlight.remove(0);
        f.epochDone(true);
      }
    }
    assertThat(epochOf).hasSize(admitted);
    assertThat(admitted).isGreaterThan(1000);
    for (List<Submission> lane : admittedByTenant.values()) {
      for (int i = 1; i < lane.size(); i++) {
        Submission a = lane.get(i - 1);
        Submission b = lane.get(i);
        long ea = epochOf.get(a);
        long eb = epochOf.get(b);
        assertThat(ea < eb || (ea == eb && a.firstPosition < b.firstPosition))
            .as("a tenant's submissions keep their order")
            .isTrue();
      }
    }
    InboxStats st = f.stats();
    assertThat(st.depthTxns()).isZero();
    assertThat(st.depthBytes()).isZero();
    assertThat(st.txnsClosed()).isEqualTo(st.txnsAdmitted());
    assertThat(st.totalEpochsClosed()).isEqualTo(st.epochsSequenced() + st.epochsFailed());
  }

  private static void check(EpochFormer.Formed e, InboxSettings s) {
    assertThat(e.txns()).isBetween(1, s.maxTxnsPerEpoch());
    assertThat(e.bytes()).isLessThanOrEqualTo(s.maxBytesPerEpoch());
    List<Txn> all = new ArrayList<>();
    int position = 0;
    for (Submission sub : e.submissions()) {
      assertThat(sub.firstPosition).as("contiguous").isEqualTo(position);
      position += sub.txnCount();
      all.addAll(sub.txns());
    }
    assertThat(position).isEqualTo(e.txns());
    EpochBatch batch = EpochBatch.auto(Long.MAX_VALUE / 2, all);
    int encoded = EntryEncoder.encode(batch).length;
    assertThat((long) encoded).isLessThanOrEqualTo(e.bytes());
    assertThat(s.limits().violation(batch, encoded)).isNull();
  }

  private void fillEagerSlots() {
    for (int i = 0; i < settings.eagerInFlight(); i++) {
      admit(txns(99, 1));
      assertThat(former.close(now).reason()).isEqualTo(CloseReason.SLOT);
    }
  }
}
