package org.calvinseq.server.inbox;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.calvinseq.core.codec.EncodedSize;
import org.calvinseq.core.codec.EntryEncoder;
import org.calvinseq.core.model.Txn;

/**
 * One client's batch of txns on its way through the inbox: checked, measured and charged to its
 * tenants once, before the inbox's lock. Goes into one epoch whole, in order.
 *
 * <p>A submission is scheduled in the lane of its first txn's tenant; its txns are charged to their
 * own tenants' shares (a submission may mix tenants), so mixing cannot dodge a share.
 */
final class Submission {
  /** Cost units of a full epoch, for the fair scheduler's deficits. */
  static final long UNITS_PER_EPOCH = 1L << 20;

  /**
   * The txns' encodings, made here on the submitting thread while the txns just decoded are in its
   * caches: the closer copies them into the epoch's entry instead of reading every txn again.
   */
  final EntryEncoder.TxnRun encoded;

  /** The tenant of the first txn: the fair scheduler's lane. */
  final long lane;

  /** Sum of the txns' {@link EncodedSize#txnBound} (without the batch overhead). */
  final long bytes;

  /** The larger of its share of an epoch's txns and of its bytes, in {@link #UNITS_PER_EPOCH}. */
  final long cost;

  /** Distinct tenants in order of first appearance, with their txn and byte charges. */
  final long[] tenants;

  final int[] tenantTxns;
  final long[] tenantBytes;

  final CompletableFuture<SubmissionReceipt> future = new CompletableFuture<>();

  // Set under the inbox's lock.
  long arrivalNanos;
  boolean taken;
  int firstPosition;

  private Submission(
      EntryEncoder.TxnRun encoded,
      long bytes,
      long cost,
      long[] tenants,
      int[] tenantTxns,
      long[] tenantBytes) {
    this.encoded = encoded;
    this.lane = txns().get(0).tenantId();
    this.bytes = bytes;
    this.cost = cost;
    this.tenants = tenants;
    this.tenantTxns = tenantTxns;
    this.tenantBytes = tenantBytes;
  }

  /** The txns, in the order they came. */
  List<Txn> txns() {
    return encoded.txns();
  }

  int txnCount() {
    return txns().size();
  }

  /**
   * Checks {@code txns} against {@code s}'s limits and measures it.
   *
   * @throws InboxRefusedException for bad input: empty, more txns than an epoch holds, a txn over a
   *     per-txn limit, a txn or the whole larger than an epoch may be encoded
   */
  static Submission prepare(List<Txn> txns, InboxSettings s) {
    int n = txns.size();
    if (n == 0) {
      throw Refusals.empty();
    }
    List<Txn> copy = List.copyOf(txns);
    long first = copy.get(0).tenantId();
    if (n > s.maxTxnsPerEpoch()) {
      throw Refusals.tooManyTxns(first, n, s.maxTxnsPerEpoch());
    }
    long room = (long) s.maxBytesPerEpoch() - EncodedSize.BATCH_OVERHEAD;
    Charges charges = new Charges();
    long bytes = 0;
    for (int i = 0; i < n; i++) {
      Txn t = copy.get(i);
      String problem = s.limits().txnViolation(i, t);
      if (problem != null) {
        throw Refusals.invalidTxn(first, problem);
      }
      int size = EncodedSize.txnBound(t);
      if (size > room) {
        throw Refusals.txnTooLarge(first, i, size, s.maxBytesPerEpoch());
      }
      bytes += size;
      charges.add(t.tenantId(), size);
    }
    if (bytes > room) {
      throw Refusals.tooLarge(first, n, bytes, s.maxBytesPerEpoch());
    }
    long cost =
        Math.max(
            1,
            Math.max(
                ceilDiv(n * UNITS_PER_EPOCH, s.maxTxnsPerEpoch()),
                ceilDiv(bytes * UNITS_PER_EPOCH, room)));
    return new Submission(
        EntryEncoder.encodeRun(copy),
        bytes,
        cost,
        java.util.Arrays.copyOf(charges.tenants, charges.size),
        java.util.Arrays.copyOf(charges.txns, charges.size),
        java.util.Arrays.copyOf(charges.bytes, charges.size));
  }

  private static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }

  /** Per-tenant sums; a linear scan while there are few tenants, a map beyond. */
  private static final class Charges {
    long[] tenants = new long[1];
    int[] txns = new int[1];
    long[] bytes = new long[1];
    int size;
    Map<Long, Integer> index;

    void add(long tenant, int size) {
      int i = find(tenant);
      if (i < 0) {
        i = this.size++;
        if (i == tenants.length) {
          tenants = java.util.Arrays.copyOf(tenants, i * 2);
          txns = java.util.Arrays.copyOf(txns, i * 2);
          bytes = java.util.Arrays.copyOf(bytes, i * 2);
        }
        tenants[i] = tenant;
        if (index != null) {
          index.put(tenant, i);
        } else if (this.size > 8) {
          index = new HashMap<>();
          for (int j = 0; j < this.size; j++) {
            index.put(tenants[j], j);
          }
        }
      }
      txns[i]++;
      bytes[i] += size;
    }

    private int find(long tenant) {
      if (index != null) {
        Integer i = index.get(tenant);
        return i == null ? -1 : i;
      }
      for (int i = 0; i < size; i++) {
        if (tenants[i] == tenant) {
          return i;
        }
      }
      return -1;
    }
  }
}
