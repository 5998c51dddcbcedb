package org.calvinseq.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node process is known by what its admin port says about itself: another node answering on that
 * port (the port was handed out twice) is never taken for it.
 */
class ProcessNodeTest {
  @TempDir Path dir;

  @Test
  void anotherNodeAnsweringOnTheAdminPortIsNotThisNode() throws Exception {
    HttpServer other =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    byte[] status =
        ("{\"nodeId\":\"n3\",\"role\":\"LEADER\",\"lastAppliedEpoch\":42}")
            .getBytes(StandardCharsets.UTF_8);
    other.createContext(
        "/status",
        x -> {
          x.sendResponseHeaders(200, status.length);
          x.getResponseBody().write(status);
          x.close();
        });
    other.start();
    ProcessNode n1 = null;
    try {
      NodeLaunch launch =
          new NodeLaunch(
              0, "n1", "calvinseq", "n1@127.0.0.1:1", dir, -1, other.getAddress().getPort());
      RaftPeer peer =
          RaftPeer.newBuilder().setId(RaftPeerId.valueOf("n1")).setAddress("127.0.0.1:1").build();
      // A process that lives but serves nothing itself.
      n1 =
          ProcessNode.launch(
              launch, peer, l -> List.of("sleep", "60"), Map.of(), dir.resolve("n1.log"));

      assertThat(AdminHttp.status(launch.adminPort()).nodeId()).isEqualTo("n3");
      assertThat(n1.status()).as("n3's answer is not n1's status").isNull();
      ProcessNode started = n1;
      assertThatThrownBy(() -> started.awaitReady(Duration.ofSeconds(10)))
          .hasMessageContaining("the admin port " + launch.adminPort())
          .hasMessageContaining("of node n1 is answered by node n3");
      assertThat(n1.exitedOnPortInUse()).isFalse();
    } finally {
      if (n1 != null) {
        n1.kill();
      }
      other.stop(0);
    }
  }
}
