package org.calvinseq.server.inbox;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.calvinseq.core.apply.ApplyResult;
import org.calvinseq.core.codec.EncodedSize;
import org.calvinseq.core.codec.ProposalLimits;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.protocol.BatchReceipt;

/** Txns, submissions, settings and a hand-driven clock for the inbox's tests. */
final class InboxFixtures {
  private InboxFixtures() {}

  /** A clock the test moves: nanos and wall millis move together. */
  static final class ManualClock implements InboxClock {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    @Override
    public long nanoTime() {
      return nanos.get();
    }

    @Override
    public long wallMillis() {
      return 1_700_000_000_000L + nanos.get() / 1_000_000;
    }

    void advanceMillis(long ms) {
      nanos.addAndGet(ms * 1_000_000);
    }

    void advanceNanos(long n) {
      nanos.addAndGet(n);
    }
  }

  private static final AtomicLong SEQ = new AtomicLong();

  /** A txn of {@code tenant} with a payload of {@code payload} bytes and a fresh client id. */
  static Txn txn(long tenant, int payload) {
    long seq = SEQ.incrementAndGet();
    return new Txn(
        new ClientTxnId(tenant, seq),
        tenant,
        List.of(),
        List.of(Key.of("c", "k" + (seq % 1000))),
        new byte[payload]);
  }

  /** {@code n} small txns of {@code tenant}. */
  static List<Txn> txns(long tenant, int n) {
    return txns(tenant, n, 8);
  }

  static List<Txn> txns(long tenant, int n, int payload) {
    List<Txn> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(txn(tenant, payload));
    }
    return out;
  }

  static long bound(List<Txn> txns) {
    long n = 0;
    for (Txn t : txns) {
      n += EncodedSize.txnBound(t);
    }
    return n;
  }

  /**
   * The defaults with epochs of 1,024 txns, for which these tests' figures are worked out (the
   * default is larger; InboxSettingsTest checks it).
   */
  static InboxSettings defaults() {
    InboxSettings d = InboxSettings.defaults(ProposalLimits.DEFAULTS);
    return d.withEpochLimits(1024, d.maxBytesPerEpoch());
  }

  /** The receipt the leader's apply would give {@code epoch} as epoch number {@code number}. */
  static BatchReceipt applied(ClosedEpoch epoch, long number) {
    return new BatchReceipt(
        ApplyResult.Kind.APPLIED,
        number + 10,
        number,
        epoch.batch().proposerMs(),
        epoch.txnCount(),
        -1);
  }
}
