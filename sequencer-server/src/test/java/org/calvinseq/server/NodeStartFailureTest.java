package org.calvinseq.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A start that fails part way leaves nothing running: a node whose admin port is taken must not
 * stay in the cluster as a Raft member nobody can see (a process whose main thread died of the bind
 * error used to do just that, and its test harness read another node's status on that port).
 */
class NodeStartFailureTest {
  @TempDir Path dir;

  @Test
  void anAdminPortInUseFailsTheStartAndClosesTheRaftServer() throws Exception {
    int raftPort;
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      raftPort = s.getLocalPort();
    }
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        SequencerNode node =
            SequencerNode.builder()
                .nodeId("n1")
                .peers("n1@127.0.0.1:" + raftPort)
                .dataDir(dir.resolve("n1"))
                .adminHost("127.0.0.1")
                .adminPort(taken.getLocalPort())
                .build()) {
      assertThatThrownBy(node::start)
          .isInstanceOf(IOException.class)
          .hasMessageContaining(
              "node n1 cannot serve its admin endpoint on 127.0.0.1:" + taken.getLocalPort());

      // The Raft server had started and bound its port; the failed start released it.
      try (ServerSocket again = new ServerSocket()) {
        again.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), raftPort));
        assertThat(again.isBound()).isTrue();
      }
      assertThatThrownBy(node::start).hasMessage("node n1 is closed");
    }
  }
}
