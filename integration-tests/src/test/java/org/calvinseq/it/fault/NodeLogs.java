package org.calvinseq.it.fault;

import java.util.Iterator;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.it.fault.History.NodeLog;
import org.calvinseq.it.fault.History.NodeLogBuilder;
import org.calvinseq.testkit.LocalCluster;

/** Reads what one node's log holds, through that node's own replay of every vshard. */
final class NodeLogs {
  private NodeLogs() {}

  /** Node {@code i}'s epochs {@code [from, to]}, rebuilt from the replay of each vshard. */
  static NodeLog read(LocalCluster cluster, int i, int vshards, long from, long to) {
    NodeLogBuilder b = new NodeLogBuilder(cluster.nodeId(i), from, to);
    add(b, cluster, i, vshards, from, to);
    return b.build();
  }

  static void add(NodeLogBuilder b, LocalCluster cluster, int i, int vshards, long from, long to) {
    for (int v = 0; v < vshards; v++) {
      Iterator<SequencedTxn> it = cluster.replay(i, v, from, to);
      while (it.hasNext()) {
        SequencedTxn t = it.next();
        b.add(t.epoch(), t.position(), t.txn().clientTxnId(), v);
      }
    }
  }
}
