package org.calvinseq.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.calvinseq.client.SequencerClient;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.protocol.BatchReceipt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ratis calls into the node on its own threads (a new leader proposes its cluster-init entry from
 * the state machine updater). None of those calls may wait for the node's lock: {@code close()}
 * used to hold it while it waited for those very threads to stop, and hung for good when a node
 * closed just as it became leader.
 */
class NodeLockTest {
  @TempDir Path dir;

  @Test
  @Timeout(120) // the old lock order hung in close() for good
  void aNodeBecomesLeaderAndSequencesWhileItsLockIsHeld() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    String peers = "n1@127.0.0.1:" + port;
    try (SequencerNode node =
        SequencerNode.builder()
            .nodeId("n1")
            .peers(peers)
            .dataDir(dir.resolve("n1"))
            .vshardCount(4)
            .build()) {
      synchronized (node) {
        node.start();
        try (SequencerClient client = SequencerClient.builder().peers(peers).build()) {
          Txn txn = new Txn(null, 0, List.of(), List.of(Key.of("c", "k")), new byte[0]);
          BatchReceipt r =
              client.propose(EpochBatch.auto(0, List.of(txn))).get(30, TimeUnit.SECONDS);
          assertThat(r.sequenced()).as(r.toString()).isTrue();
        }
      }
    }
  }
}
