package org.calvinseq.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.calvinseq.server.testkit.FreePorts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The vshard count and cluster name are fixed for a data directory: a node started otherwise
 * refuses.
 */
class VShardCountCheckTest {
  @TempDir Path dir;

  @Test
  void nodeRestartedWithAnotherVShardCountRefusesToStart() throws Exception {
    int port = FreePorts.pick("127.0.0.1");
    String peers = "n1@127.0.0.1:" + port;
    try (SequencerNode node = node(peers, 16)) {
      node.start();
      assertThat(node.status().vshardCount()).isEqualTo(16);
    }
    try (SequencerNode node = node(peers, 32)) {
      assertThatThrownBy(node::start)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("vshardCount=16")
          .hasMessageContaining("started with vshardCount=32")
          .hasMessageContaining("fixed for a cluster's life");
      assertThat(node.raftServer()).as("no Raft server was created").isNull();
    }
    try (SequencerNode node =
        SequencerNode.builder()
            .nodeId("n1")
            .peers(peers)
            .dataDir(dir.resolve("n1"))
            .vshardCount(16)
            .clusterName("another")
            .build()) {
      assertThatThrownBy(node::start)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("belongs to cluster 'calvinseq'")
          .hasMessageContaining("cluster name 'another'");
    }
    try (SequencerNode node = node(peers, 16)) {
      node.start(); // the original settings still work
    }
  }

  private SequencerNode node(String peers, int vshards) {
    return SequencerNode.builder()
        .nodeId("n1")
        .peers(peers)
        .dataDir(dir.resolve("n1"))
        .vshardCount(vshards)
        .build();
  }
}
