package org.calvinseq.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.search.Search;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.calvinseq.core.codec.ProposalLimits;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.server.NodeInternals;
import org.calvinseq.server.SequencerNode;
import org.calvinseq.testkit.LocalCluster;

/** History checks over real nodes: contiguous epochs, identical streams, exactly-once txns. */
final class ClusterChecks {
  private ClusterChecks() {}

  /**
   * A three-node cluster whose log is cut into small segments and purged after frequent snapshots,
   * so tests see purging and snapshot installation after a few thousand small batches.
   */
  static LocalCluster purgingCluster(int vshards, long snapshotEvery, long replayRetention)
      throws java.io.IOException {
    return LocalCluster.builder()
        .nodes(3)
        .configure(
            b ->
                b.vshardCount(vshards)
                    .snapshotEvery(snapshotEvery)
                    .replayRetention(replayRetention)
                    .logSegmentBytes(32 * 1024)
                    .limits(new ProposalLimits(8 * 1024, 1000, 64, 4096)))
        .build()
        .start();
  }

  /** The epochs a node has indexed for replay, which must be consecutive. */
  static void assertContiguousEpochs(SequencerNode node, long lastEpoch) {
    long[] idx = NodeInternals.core(node).epochIndex().export();
    assertThat(idx.length).as("node %s has epochs indexed", node.nodeId()).isPositive();
    long first = idx[0];
    for (int i = 0; i < idx.length / 3; i++) {
      assertThat(idx[i * 3]).as("epoch #%d on %s", i, node.nodeId()).isEqualTo(first + i);
    }
    assertThat(idx[idx.length - 3]).isEqualTo(lastEpoch);
    assertThat(NodeInternals.core(node).gaps()).as("gaps on %s", node.nodeId()).isEmpty();
  }

  /** Every vshard's replay of {@code [from, to]}, in vshard order. */
  static List<List<SequencedTxn>> streams(SequencerNode node, int vshards, long from, long to) {
    List<List<SequencedTxn>> out = new ArrayList<>();
    for (int v = 0; v < vshards; v++) {
      List<SequencedTxn> s = new ArrayList<>();
      node.replay(v, from, to).forEachRemaining(s::add);
      out.add(s);
    }
    return out;
  }

  /**
   * Where each client txn id was sequenced; fails if one id got two different TxnIds (sequenced
   * twice).
   */
  static Map<ClientTxnId, TxnId> placements(List<List<SequencedTxn>> streams) {
    Map<ClientTxnId, TxnId> at = new HashMap<>();
    for (List<SequencedTxn> s : streams) {
      for (SequencedTxn t : s) {
        TxnId prev = at.putIfAbsent(t.txn().clientTxnId(), t.id());
        assertThat(prev == null || prev.equals(t.id()))
            .as("%s sequenced at %s and at %s", t.txn().clientTxnId(), prev, t.id())
            .isTrue();
      }
    }
    return at;
  }

  /**
   * Submissions the leader inboxes of {@code nodes} refused for {@code reason}, over every tenant
   * class (the counter has one series per class).
   */
  static double inboxRefusals(Iterable<SequencerNode> nodes, String reason) {
    return inboxRefusals(nodes, search -> search.tag("reason", reason));
  }

  /** Submissions the nodes' inboxes refused, for any reason. */
  static double inboxRefusals(Iterable<SequencerNode> nodes) {
    return inboxRefusals(nodes, UnaryOperator.identity());
  }

  private static double inboxRefusals(Iterable<SequencerNode> nodes, UnaryOperator<Search> which) {
    double sum = 0;
    for (SequencerNode n : nodes) {
      for (Counter c : which.apply(n.meterRegistry().find("sequencer.inbox.refusals")).counters()) {
        sum += c.count();
      }
    }
    return sum;
  }
}
