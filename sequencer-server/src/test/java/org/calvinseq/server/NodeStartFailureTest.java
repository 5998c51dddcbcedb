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
 * stay in the cluster as a Raft member nobody can see, and one whose Raft port is taken must not
 * leave an admin endpoint answering /health for a node that is not there (a process whose main
 * thread died of the bind error used to do just that, and its test harness read another node's
 * status on that port).
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

      // The admin endpoint starts first, so the Raft server never bound its port.
      try (ServerSocket again = new ServerSocket()) {
        again.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), raftPort));
        assertThat(again.isBound()).isTrue();
      }
      assertThatThrownBy(node::start).hasMessage("node n1 is closed");
    }
  }

  /**
   * The admin endpoint starts before the Raft server; a failure in the Raft server's start closes
   * it. (A Raft port in use cannot stand for that failure here: Ratis then exits the JVM.)
   */
  @Test
  void aFailureWhileTheRaftServerStartsClosesTheAdminEndpoint() throws Exception {
    try (SequencerNode node = OneMember.builder(dir).adminHost("127.0.0.1").adminPort(0).build()) {
      int[] adminPortAtFailure = {-1};
      node.beforeRaftStartForTest(
          () -> {
            adminPortAtFailure[0] = node.adminPort();
            throw new IllegalStateException("the log cannot be read");
          });

      assertThatThrownBy(node::start).hasMessage("the log cannot be read");

      // The admin endpoint was serving when the start failed; the failed start released its port.
      assertThat(adminPortAtFailure[0]).isPositive();
      try (ServerSocket again = new ServerSocket()) {
        again.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), adminPortAtFailure[0]));
        assertThat(again.isBound()).isTrue();
      }
      assertThatThrownBy(node::start).hasMessage("node n1 is closed");
    }
  }
}
