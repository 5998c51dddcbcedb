package org.calvinseq.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.server.SequencerNode;
import org.calvinseq.testkit.LocalCluster;

/** Shared pieces of the client integration tests ({@code Client*IT}). */
final class ClientItSupport {
  static final int VSHARDS = 8;

  private ClientItSupport() {}

  static LocalCluster cluster() throws java.io.IOException {
    return LocalCluster.builder().nodes(3).configure(b -> b.vshardCount(VSHARDS)).build().start();
  }

  /** As {@link #cluster()}, with each node's admin endpoint (its /metrics) on an ephemeral port. */
  static LocalCluster clusterWithAdmin() throws java.io.IOException {
    return LocalCluster.builder()
        .nodes(3)
        .configure(b -> b.vshardCount(VSHARDS))
        .adminEndpoints(true)
        .build()
        .start();
  }

  /** A txn without a client id (the client assigns one) reading and writing 1 or 2 vshards. */
  static Txn txn(Random rnd, int n) {
    Key read = Key.of("c" + rnd.nextInt(16), "k" + rnd.nextInt(1000));
    Key write = Key.of("c" + rnd.nextInt(16), "k" + rnd.nextInt(1000));
    return new Txn(
        null, 3, List.of(read), List.of(write), ("p" + n).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The node's whole sequence through {@code lastEpoch}, read back from every vshard's replay: each
   * txn once, keyed by its TxnId. Fails if one TxnId carries two client ids or one client id
   * appears at two TxnIds (sequenced twice).
   */
  /**
   * Every node's sequence through {@code lastEpoch}, asserted identical on all of them; returns it.
   */
  static TreeMap<TxnId, Txn> identicalSequence(LocalCluster cluster, long lastEpoch) {
    TreeMap<TxnId, Txn> reference = null;
    for (int n = 0; n < cluster.size(); n++) {
      TreeMap<TxnId, Txn> seq = sequence(cluster.node(n), lastEpoch);
      if (reference == null) {
        reference = seq;
      } else {
        assertThat(seq).as("total order on node %d", n).isEqualTo(reference);
      }
    }
    return reference;
  }

  static TreeMap<TxnId, Txn> sequence(SequencerNode node, long lastEpoch) {
    TreeMap<TxnId, Txn> byId = new TreeMap<>();
    Map<ClientTxnId, TxnId> byClient = new java.util.HashMap<>();
    for (int v = 0; v < VSHARDS; v++) {
      List<SequencedTxn> s = new ArrayList<>();
      node.replay(v, 0, lastEpoch).forEachRemaining(s::add);
      assertThat(s).isSortedAccordingTo(SequencedTxn::compareTo);
      for (SequencedTxn t : s) {
        ClientTxnId c = t.txn().clientTxnId();
        Txn prev = byId.putIfAbsent(t.id(), t.txn());
        assertThat(prev == null || prev.equals(t.txn()))
            .as("%s on %s holds %s and %s", t.id(), node.nodeId(), prev, c)
            .isTrue();
        TxnId at = byClient.putIfAbsent(c, t.id());
        assertThat(at == null || at.equals(t.id()))
            .as("%s sequenced twice on %s: at %s and %s", c, node.nodeId(), at, t.id())
            .isTrue();
      }
    }
    return byId;
  }

  static void awaitApplied(LocalCluster cluster, long epoch) {
    cluster.awaitApplied(epoch, Duration.ofSeconds(60));
  }
}
