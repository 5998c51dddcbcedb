package org.calvinseq.it.fault;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.it.fault.History.Applied;
import org.calvinseq.it.fault.History.ConsumerStream;
import org.calvinseq.it.fault.History.EngineReplica;
import org.calvinseq.it.fault.History.NodeLog;
import org.calvinseq.it.fault.History.NodeLogBuilder;
import org.calvinseq.it.fault.History.Segment;
import org.junit.jupiter.api.Test;

/** The checker finds what it must: a lost, a duplicated and a reordered txn, and the rest. */
class HistoryCheckerTest {
  /** Txn {@code (1, s)} at epoch s / 2, position s % 2, on vshard s % 2 (and 0 for every third). */
  private static final int TXNS = 8;

  private static ClientTxnId cid(int s) {
    return new ClientTxnId(1, s);
  }

  private static TxnId at(int s) {
    return new TxnId(s / 2, s % 2);
  }

  private static List<Integer> vshards(int s) {
    return s % 3 == 0 && s % 2 == 1 ? List.of(0, 1) : List.of(s % 2);
  }

  /** A node log of the txns {@code order} (as sequence numbers, in log order). */
  private static NodeLog log(String node, int[] order) {
    NodeLogBuilder b = new NodeLogBuilder(node, 0, (TXNS - 1) / 2);
    for (int i = 0; i < order.length; i++) {
      for (int v : vshards(order[i])) {
        b.add(i / 2, i % 2, cid(order[i]), v);
      }
    }
    return b.build();
  }

  private static int[] inOrder() {
    int[] o = new int[TXNS];
    for (int i = 0; i < TXNS; i++) {
      o[i] = i;
    }
    return o;
  }

  /** What the scheduler of {@code vshard} applied, given as sequence numbers in apply order. */
  private static ConsumerStream stream(String node, int vshard, int... seqs) {
    List<Applied> a = new ArrayList<>();
    for (int s : seqs) {
      a.add(new Applied(at(s), cid(s)));
    }
    return new ConsumerStream(node, vshard, List.of(new Segment(-1, null, false, a)));
  }

  private static int[] ofVshard(int v) {
    return java.util.stream.IntStream.range(0, TXNS).filter(s -> vshards(s).contains(v)).toArray();
  }

  private static History good() {
    Map<ClientTxnId, TxnId> acked = new HashMap<>();
    for (int s = 0; s < TXNS; s++) {
      acked.put(cid(s), at(s));
    }
    List<ConsumerStream> consumers = new ArrayList<>();
    for (String n : List.of("n1", "n2")) {
      consumers.add(stream(n, 0, ofVshard(0)));
      consumers.add(stream(n, 1, ofVshard(1)));
    }
    return new History(
        (TXNS - 1) / 2,
        acked,
        List.of(log("n1", inOrder()), log("n2", inOrder())),
        consumers,
        List.of(new EngineReplica("n1", 3, 42, 0), new EngineReplica("n2", 3, 42, 0)));
  }

  private static History with(
      UnaryOperator<Map<ClientTxnId, TxnId>> acked,
      UnaryOperator<List<NodeLog>> logs,
      UnaryOperator<List<ConsumerStream>> consumers,
      UnaryOperator<List<EngineReplica>> engines) {
    History g = good();
    return new History(
        g.finalEpoch(),
        acked.apply(new HashMap<>(g.acknowledged())),
        logs.apply(new ArrayList<>(g.logs())),
        consumers.apply(new ArrayList<>(g.consumers())),
        engines.apply(new ArrayList<>(g.engines())));
  }

  @Test
  void aHistoryThatKeepsEveryPromisePasses() {
    assertThat(HistoryChecker.check(good())).isEmpty();
  }

  @Test
  void reportsAnAcknowledgedTxnThatIsInNoLog() {
    History h =
        with(
            a -> {
              a.put(new ClientTxnId(1, 99), new TxnId(2, 1));
              return a;
            },
            l -> l,
            c -> c,
            e -> e);
    assertThat(HistoryChecker.check(h))
        .containsExactly("lost: acknowledged txn 1/99 (acked as 2.1) is in no log");
  }

  @Test
  void reportsATxnSequencedTwice() {
    // Epoch 3 holds txn 2 a second time (a retried proposal applied twice), on every node.
    int[] order = inOrder();
    order[7] = 2;
    History h =
        with(
            a -> {
              a.remove(cid(7));
              return a;
            },
            l -> List.of(log("n1", order), log("n2", order)),
            c -> {
              List<ConsumerStream> out = new ArrayList<>();
              for (String n : List.of("n1", "n2")) {
                List<Applied> v0 = new ArrayList<>();
                for (int seq : new int[] {0, 2, 3, 4, 6}) {
                  v0.add(new Applied(at(seq), cid(seq)));
                }
                v0.add(new Applied(new TxnId(3, 1), cid(2))); // the second copy reaches vshard 0
                out.add(new ConsumerStream(n, 0, List.of(new Segment(-1, null, false, v0))));
                out.add(stream(n, 1, 1, 3, 5));
              }
              return out;
            },
            e -> e);
    List<String> v = HistoryChecker.check(h);
    assertThat(v).contains("duplicate: txn 1/2 is sequenced 2 times: at [1.0, 3.1]");
    assertThat(v).hasSize(1);
  }

  @Test
  void reportsATxnAConsumerAppliedOutOfOrder() {
    History h =
        with(
            a -> a,
            l -> l,
            c -> {
              c.set(0, stream("n1", 0, 0, 3, 2, 4, 6));
              return c;
            },
            e -> e);
    assertThat(HistoryChecker.check(h))
        .containsExactly("reordered: n1/vshard 0 applied 1.0 after 1.1");
  }

  @Test
  void reportsNodesThatOrderAnEpochDifferently() {
    int[] swapped = inOrder();
    swapped[2] = 3;
    swapped[3] = 2;
    History h =
        with(a -> a, l -> List.of(log("n1", inOrder()), log("n2", swapped)), c -> c, e -> e);
    assertThat(HistoryChecker.check(h))
        .containsExactly(
            "disagreement: position 0 of epoch 1 is 1/2[0] on n1 but 1/3[0, 1] on n2",
            "disagreement: position 1 of epoch 1 is 1/3[0, 1] on n1 but 1/2[0] on n2");
  }

  @Test
  void reportsADuplicatedAndALostDelivery() {
    History h =
        with(
            a -> a,
            l -> l,
            c -> {
              c.set(0, stream("n1", 0, 0, 2, 2, 3, 4, 6));
              c.set(1, stream("n1", 1, 1, 3, 7));
              return c;
            },
            e -> e);
    assertThat(HistoryChecker.check(h))
        .containsExactlyInAnyOrder(
            "duplicate delivery: n1/vshard 0 applied 1.0 after 1.0",
            "lost delivery: n1/vshard 1 never applied 2.1 (txn 1/5)");
  }

  @Test
  void reportsAnEpochMissingFromANodeAndDivergedEngines() {
    NodeLog full = log("n2", inOrder());
    java.util.TreeMap<Long, List<History.LoggedTxn>> holed = new java.util.TreeMap<>(full.epochs());
    holed.remove(2L);
    History h =
        with(
            a -> a,
            l -> List.of(log("n1", inOrder()), new NodeLog("n2", 0, 3, holed)),
            c -> c,
            e -> List.of(new EngineReplica("n1", 3, 42, 0), new EngineReplica("n2", 2, 43, 1)));
    assertThat(HistoryChecker.check(h))
        .containsExactly(
            "gap: n2 does not hold epoch 2 of its range, which n1 holds",
            "engine: n2 is through epoch 2, not 3",
            "engine: n2 saw 1 txns out of order",
            "engine: n2 ends with state digest 2b but n1 with 2a");
  }

  @Test
  void anEpochOrPositionNoLogHoldsIsARetryNotAGap() {
    java.util.TreeMap<Long, List<History.LoggedTxn>> holed =
        new java.util.TreeMap<>(log("n1", inOrder()).epochs());
    holed.remove(2L);
    List<History.LoggedTxn> first = new java.util.ArrayList<>(holed.get(1L));
    first.set(0, null);
    holed.put(1L, first);
    History h =
        with(
            a -> a,
            l -> List.of(new NodeLog("n1", 0, 3, holed), new NodeLog("n2", 0, 3, holed)),
            c -> c,
            e -> e);
    assertThat(HistoryChecker.check(h)).noneMatch(v -> v.startsWith("gap"));
    History oneHolds =
        with(
            a -> a,
            l -> List.of(new NodeLog("n1", 0, 3, holed), log("n2", inOrder())),
            c -> c,
            e -> e);
    assertThat(HistoryChecker.check(oneHolds))
        .contains(
            "gap: n1 does not hold epoch 2 of its range, which n2 holds",
            "gap: n1 has no txn at position 0 of epoch 1, which n2 holds");
  }
}
