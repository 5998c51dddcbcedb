package org.calvinseq.core.testing;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.calvinseq.core.dedupe.DedupeLimits;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.NotSequenced;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.model.TxnId;

/**
 * The de-duplication rules of docs/wire-format.md section 9a written as plainly as possible, to
 * check {@code ClientWindows} against: per client a sorted map from sequence to the id it got, runs
 * recomputed from the map whenever they are counted, clients in a map kept in last-seen order, and
 * exact arithmetic (BigInteger) wherever a long could wrap.
 */
public final class ReferenceDedupe {
  private final DedupeLimits limits;
  private final LinkedHashMap<Long, Client> clients = new LinkedHashMap<>(); // least recent first

  private static final class Client {
    final TreeMap<Long, TxnId> sequenced = new TreeMap<>(Long::compareUnsigned);
    Long forgottenThrough; // null: nothing forgotten
    long lastSeenMs;
  }

  public ReferenceDedupe(DedupeLimits limits) {
    this.limits = limits;
  }

  /** The txns of a batch that becomes {@code epoch} at {@code ms} that are not sequenced. */
  public List<NotSequenced> decide(List<Txn> txns, long epoch, long ms) {
    BigInteger now = BigInteger.valueOf(ms);
    BigInteger expiry = BigInteger.valueOf(limits.clientExpiryMs());
    clients
        .values()
        .removeIf(c -> now.subtract(BigInteger.valueOf(c.lastSeenMs)).compareTo(expiry) > 0);
    List<NotSequenced> out = new ArrayList<>();
    for (int pos = 0; pos < txns.size(); pos++) {
      ClientTxnId id = txns.get(pos).clientTxnId();
      if (id == null) {
        continue;
      }
      long s = id.sequence();
      Client c = clients.remove(id.clientId());
      boolean fresh = c == null;
      if (fresh) {
        c = new Client();
      }
      c.lastSeenMs = ms;
      clients.put(id.clientId(), c); // now the most recently seen
      if (c.forgottenThrough != null && Long.compareUnsigned(s, c.forgottenThrough) <= 0) {
        out.add(NotSequenced.tooOld(pos));
      } else if (c.sequenced.containsKey(s)) {
        out.add(NotSequenced.duplicate(pos, c.sequenced.get(s)));
      } else {
        c.sequenced.put(s, new TxnId(epoch, pos));
        while (runs(c).size() > limits.windowRuns()) {
          List<Long> lowest = runs(c).get(0);
          lowest.forEach(c.sequenced::remove);
          c.forgottenThrough = lowest.get(lowest.size() - 1);
        }
      }
      if (fresh) {
        while (clients.size() > limits.maxClients()) {
          Iterator<Long> it = clients.keySet().iterator();
          it.next();
          it.remove();
        }
      }
    }
    return out;
  }

  /** The client's runs, lowest first: maximal consecutive sequences at consecutive positions. */
  private static List<List<Long>> runs(Client c) {
    List<List<Long>> runs = new ArrayList<>();
    Map.Entry<Long, TxnId> prev = null;
    for (Map.Entry<Long, TxnId> e : c.sequenced.entrySet()) {
      boolean continues =
          prev != null
              && unsigned(prev.getKey()).add(BigInteger.ONE).equals(unsigned(e.getKey()))
              && prev.getValue().epoch() == e.getValue().epoch()
              && prev.getValue().position() + 1 == e.getValue().position();
      if (!continues) {
        runs.add(new ArrayList<>());
      }
      runs.get(runs.size() - 1).add(e.getKey());
      prev = e;
    }
    return runs;
  }

  private static BigInteger unsigned(long v) {
    return new BigInteger(Long.toUnsignedString(v));
  }

  /** How many client ids are remembered. */
  public int clientCount() {
    return clients.size();
  }
}
