package org.calvinseq.it.fault;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.TxnId;

/**
 * What a fault test observed, for {@link HistoryChecker}: what the clients were told, what every
 * node's log holds, what every consumer applied, and where every engine replica ended.
 *
 * @param finalEpoch the last epoch of the run; everything is checked up to it
 * @param acknowledged every submission the client got an id for, with that id
 * @param logs the epochs each node holds (plus, as one more "node", the log tailed during the run)
 * @param consumers what each vshard scheduler of each node applied (empty when not recorded)
 * @param engines where each engine replica ended
 */
record History(
    long finalEpoch,
    Map<ClientTxnId, TxnId> acknowledged,
    List<NodeLog> logs,
    List<ConsumerStream> consumers,
    List<EngineReplica> engines) {

  History {
    acknowledged = Map.copyOf(acknowledged);
    logs = List.copyOf(logs);
    consumers = List.copyOf(consumers);
    engines = List.copyOf(engines);
  }

  /** One txn as a log holds it: its client id and the vshards it reached. */
  record LoggedTxn(ClientTxnId id, List<Integer> vshards) {
    LoggedTxn {
      vshards = List.copyOf(vshards);
    }

    @Override
    public String toString() {
      return id + vshards.toString();
    }
  }

  /**
   * The epochs {@code [firstEpoch, lastEpoch]} as one node holds them; each epoch is its txns in
   * position order, with null at a position no vshard's replay returned.
   */
  record NodeLog(
      String source, long firstEpoch, long lastEpoch, NavigableMap<Long, List<LoggedTxn>> epochs) {
    NodeLog {
      epochs = new TreeMap<>(epochs);
    }
  }

  /** Builds a {@link NodeLog} from per-vshard replays. */
  static final class NodeLogBuilder {
    private final String source;
    private final long first;
    private final long last;
    private final TreeMap<Long, List<Slot>> epochs = new TreeMap<>();

    private static final class Slot {
      ClientTxnId id;
      final List<Integer> vshards = new ArrayList<>();
    }

    NodeLogBuilder(String source, long first, long last) {
      this.source = source;
      this.first = first;
      this.last = last;
    }

    /** Adds that {@code vshard}'s replay returned {@code id} at {@code (epoch, position)}. */
    void add(long epoch, int position, ClientTxnId id, int vshard) {
      List<Slot> slots = epochs.computeIfAbsent(epoch, e -> new ArrayList<>());
      while (slots.size() <= position) {
        slots.add(null);
      }
      Slot s = slots.get(position);
      if (s == null) {
        s = new Slot();
        s.id = id;
        slots.set(position, s);
      } else if (!Objects.equals(s.id, id)) {
        // Two vshards disagree about one position of one node's log: keep both visible.
        s.id = new ClientTxnId(-1, -1);
      }
      if (!s.vshards.contains(vshard)) {
        s.vshards.add(vshard);
        s.vshards.sort(null);
      }
    }

    NodeLog build() {
      TreeMap<Long, List<LoggedTxn>> out = new TreeMap<>();
      epochs.forEach(
          (e, slots) -> {
            List<LoggedTxn> txns = new ArrayList<>(slots.size());
            for (Slot s : slots) {
              txns.add(s == null ? null : new LoggedTxn(s.id, s.vshards));
            }
            out.put(e, txns);
          });
      return new NodeLog(source, first, last, out);
    }
  }

  /** A txn a consumer applied. */
  record Applied(TxnId id, ClientTxnId client) {}

  /**
   * What one scheduler applied between two (re)subscriptions: it subscribed having applied
   * everything through {@code throughEpoch} ({@code last} its last txn), or, when {@code adopted},
   * took a peer's checkpoint that stands there.
   */
  record Segment(long throughEpoch, TxnId last, boolean adopted, List<Applied> applied) {
    Segment {
      applied = List.copyOf(applied);
    }
  }

  /** Everything the scheduler of {@code vshard} on {@code node} applied, segment by segment. */
  record ConsumerStream(String node, int vshard, List<Segment> segments) {
    ConsumerStream {
      segments = List.copyOf(segments);
    }
  }

  /** Where one engine replica ended. */
  record EngineReplica(String node, long throughEpoch, long digest, long orderViolations) {}
}
