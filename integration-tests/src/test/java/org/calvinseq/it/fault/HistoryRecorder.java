package org.calvinseq.it.fault;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.it.engine.DeliveryListener;
import org.calvinseq.it.fault.History.Applied;
import org.calvinseq.it.fault.History.ConsumerStream;
import org.calvinseq.it.fault.History.Segment;

/**
 * Records, for every scheduler of every in-JVM engine replica, what it applied, one segment per
 * subscription; it outlives the engines, so restarts and crashes show as new segments.
 */
final class HistoryRecorder implements DeliveryListener {
  private record Stream(String node, int vshard) {}

  private static final class Open {
    final long through;
    final TxnId last;
    final boolean adopted;
    final List<Applied> applied = new ArrayList<>();

    Open(long through, TxnId last, boolean adopted) {
      this.through = through;
      this.last = last;
      this.adopted = adopted;
    }

    Segment close() {
      return new Segment(through, last, adopted, applied);
    }
  }

  private final Map<Stream, List<Open>> streams =
      new TreeMap<>(
          (a, b) ->
              a.node().equals(b.node())
                  ? Integer.compare(a.vshard(), b.vshard())
                  : a.node().compareTo(b.node()));

  @Override
  public synchronized void subscribed(String node, int vshard, long throughEpoch, TxnId last) {
    segments(node, vshard).add(new Open(throughEpoch, last, false));
  }

  @Override
  public synchronized void adopted(String node, int vshard, long throughEpoch, TxnId last) {
    segments(node, vshard).add(new Open(throughEpoch, last, true));
  }

  @Override
  public synchronized void applied(String node, int vshard, SequencedTxn t) {
    List<Open> s = segments(node, vshard);
    if (s.isEmpty()) {
      s.add(new Open(-1, null, false));
    }
    s.get(s.size() - 1).applied.add(new Applied(t.id(), t.txn().clientTxnId()));
  }

  private List<Open> segments(String node, int vshard) {
    return streams.computeIfAbsent(new Stream(node, vshard), k -> new ArrayList<>());
  }

  synchronized List<ConsumerStream> streams() {
    List<ConsumerStream> out = new ArrayList<>();
    streams.forEach(
        (k, open) ->
            out.add(
                new ConsumerStream(k.node(), k.vshard(), open.stream().map(Open::close).toList())));
    return out;
  }
}
