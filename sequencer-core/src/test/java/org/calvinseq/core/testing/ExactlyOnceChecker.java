package org.calvinseq.core.testing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.routing.Participants;
import org.calvinseq.core.routing.VShardRouter;

/**
 * The exactly-once claims of docs/wire-format.md section 9a, checked from what consumers receive
 * and what proposers are told, never from the state machine's own bookkeeping:
 *
 * <ol>
 *   <li>no client txn id is sequenced twice: every delivery (on any replica, live or replayed) and
 *       every receipt puts one client txn id at one {@link TxnId};
 *   <li>every acknowledged txn is sequenced: a consumer of a vshard the txn touches that has
 *       processed past its id has it, at that id;
 *   <li>a consumer's stream holds each txn once, in id order.
 * </ol>
 *
 * In {@link #lenient} mode the first claim is not made (a test whose windows are small enough to
 * forget clients, where a retry after forgetting is sequenced again by design); the others are.
 */
public final class ExactlyOnceChecker {
  private final VShardRouter router;
  private final boolean strict;
  private final Map<ClientTxnId, Set<TxnId>> sequencedAt = new HashMap<>();
  private final List<Acked> acked = new ArrayList<>();
  private int resequenced;

  private record Acked(ClientTxnId id, TxnId at, int[] vshards) {}

  private ExactlyOnceChecker(VShardRouter router, boolean strict) {
    this.router = router;
    this.strict = strict;
  }

  /** A checker that makes all three claims. */
  public static ExactlyOnceChecker strict(VShardRouter router) {
    return new ExactlyOnceChecker(router, true);
  }

  /** A checker that allows a client txn id at several ids (clients may be forgotten). */
  public static ExactlyOnceChecker lenient(VShardRouter router) {
    return new ExactlyOnceChecker(router, false);
  }

  /** {@code t} reached a consumer at {@code where}. */
  public void delivered(String where, SequencedTxn t) {
    ClientTxnId id = t.txn().clientTxnId();
    if (id != null) {
      place(id, t.id(), where + " delivered it");
    }
  }

  /** A proposer was told that its txn {@code txn} is {@code at}. */
  public void acknowledged(Txn txn, TxnId at) {
    ClientTxnId id = txn.clientTxnId();
    place(id, at, "a receipt said so");
    acked.add(new Acked(id, at, Participants.of(txn, router)));
  }

  private void place(ClientTxnId id, TxnId at, String how) {
    Set<TxnId> ids = sequencedAt.computeIfAbsent(id, k -> new TreeSet<>());
    if (ids.add(at) && ids.size() > 1) {
      resequenced++;
      if (strict) {
        throw new AssertionError(
            "client txn id " + id + " sequenced twice: at " + ids + " (the last: " + how + ")");
      }
    }
  }

  /** How many times a client txn id was seen at one more id (only lenient runs get past one). */
  public int resequencedCount() {
    return resequenced;
  }

  /** How many acknowledgements were checked in. */
  public int acknowledgedCount() {
    return acked.size();
  }

  /**
   * Checks the stream a consumer of {@code vshard} processed so far (in the order processed): each
   * txn once, in id order, and every acknowledged txn of the vshard that it has passed.
   */
  public void checkStream(String where, int vshard, List<SequencedTxn> stream) {
    for (int i = 1; i < stream.size(); i++) {
      if (stream.get(i).id().compareTo(stream.get(i - 1).id()) <= 0) {
        throw new AssertionError(
            where
                + ": "
                + stream.get(i).id()
                + " after "
                + stream.get(i - 1).id()
                + " (txn #"
                + i
                + ")");
      }
    }
    if (stream.isEmpty()) {
      return;
    }
    TxnId last = stream.get(stream.size() - 1).id();
    for (Acked a : acked) {
      if (a.at().compareTo(last) >= 0 || !touches(a.vshards(), vshard)) {
        continue;
      }
      SequencedTxn found = find(stream, a.at());
      if (found == null || !a.id().equals(found.txn().clientTxnId())) {
        throw new AssertionError(
            where
                + ": acknowledged txn "
                + a.id()
                + " at "
                + a.at()
                + " is not in the stream, which is past it (last "
                + last
                + "; at that id: "
                + (found == null ? "nothing" : found.txn().clientTxnId())
                + ")");
      }
    }
  }

  private static boolean touches(int[] vshards, int vshard) {
    for (int v : vshards) {
      if (v == vshard) {
        return true;
      }
    }
    return false;
  }

  private static SequencedTxn find(List<SequencedTxn> sorted, TxnId id) {
    int lo = 0;
    int hi = sorted.size() - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int c = sorted.get(mid).id().compareTo(id);
      if (c < 0) {
        lo = mid + 1;
      } else if (c > 0) {
        hi = mid - 1;
      } else {
        return sorted.get(mid);
      }
    }
    return null;
  }
}
