package org.calvinseq.core.routing;

import java.util.List;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.Txn;

/**
 * The one place that decides which vshards a transaction reaches and what they receive. Both the
 * live fan-out and replay go through here, so replay yields exactly what live delivery would have.
 */
public final class Participants {
  private final VShardRouter router;
  private int[] scratch = new int[16];

  public Participants(VShardRouter router) {
    this.router = router;
  }

  public VShardRouter router() {
    return router;
  }

  /**
   * Computes the participating vshards of {@code txn} (read set and write set, sorted, unique) into
   * an internal buffer, returned by {@link #buffer()}; returns how many there are. Not thread-safe;
   * one instance per thread.
   */
  public int compute(Txn txn) {
    int need = txn.keyCount();
    if (scratch.length < need) {
      scratch = new int[Math.max(need, scratch.length * 2)];
    }
    int n = add(txn.readSet(), 0);
    n = add(txn.writeSet(), n);
    return sortUnique(scratch, n);
  }

  public int[] buffer() {
    return scratch;
  }

  /** Allocating variant for callers off the hot path. */
  public static int[] of(Txn txn, VShardRouter router) {
    Participants p = new Participants(router);
    int n = p.compute(txn);
    return java.util.Arrays.copyOf(p.buffer(), n);
  }

  /** True when {@code txn} touches {@code vshard}. */
  public boolean touches(Txn txn, int vshard) {
    for (Key k : txn.readSet()) {
      if (router.vshardOf(k) == vshard) {
        return true;
      }
    }
    for (Key k : txn.writeSet()) {
      if (router.vshardOf(k) == vshard) {
        return true;
      }
    }
    return false;
  }

  /** What a participant receives for the txn at {@code position} of an epoch. */
  public static SequencedTxn sequence(Txn txn, long epoch, int position, long epochSystemMs) {
    return new SequencedTxn(txn, epoch, position, epochSystemMs);
  }

  private int add(List<Key> keys, int n) {
    for (int i = 0, size = keys.size(); i < size; i++) {
      scratch[n++] = router.vshardOf(keys.get(i));
    }
    return n;
  }

  /** Insertion sort plus de-duplication: transactions touch few vshards. */
  static int sortUnique(int[] a, int n) {
    for (int i = 1; i < n; i++) {
      int v = a[i];
      int j = i - 1;
      while (j >= 0 && a[j] > v) {
        a[j + 1] = a[j];
        j--;
      }
      a[j + 1] = v;
    }
    int out = 0;
    for (int i = 0; i < n; i++) {
      if (out == 0 || a[out - 1] != a[i]) {
        a[out++] = a[i];
      }
    }
    return out;
  }
}
