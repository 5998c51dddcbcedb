package org.calvinseq.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.util.LifeCycle;
import org.calvinseq.client.Peers;
import org.calvinseq.server.ratis.SequencerStateMachine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a node does when Ratis reports a failed write of its Raft log (as it does on ENOSPC): it
 * says so once, stops being ready, and closes its Raft server, since Ratis fails every later write
 * of that log anyway.
 */
class LogFailureTest {
  @TempDir Path dir;

  @Test
  void aFailedLogWriteMakesTheNodeUnreadyAndClosesItsRaftServer() throws Exception {
    int raftPort;
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      raftPort = s.getLocalPort();
    }
    RaftServer server;
    try (SequencerNode node =
        SequencerNode.builder()
            .nodeId("n1")
            .peers("n1@127.0.0.1:" + raftPort)
            .dataDir(dir.resolve("n1"))
            .adminPort(0)
            .build()) {
      node.start();
      int port = node.adminPort();
      await(Duration.ofSeconds(30), () -> get(port, "/ready").startsWith("200 "), "n1 to be ready");
      assertThat(node.logFailure()).isNotDone();
      assertThat(node.statusDocument().get("logFailure")).isNull();
      // /status also names the cluster and the Raft group id derived from it (for ratis-shell).
      assertThat(get(port, "/status"))
          .contains("\"clusterName\":\"" + node.config().clusterName() + "\"")
          .contains(
              "\"raftGroupId\":\"" + Peers.groupId(node.config().clusterName()).getUuid() + "\"");

      SequencerStateMachine sm =
          (SequencerStateMachine)
              node.raftServer()
                  .getDivision(Peers.groupId(node.config().clusterName()))
                  .getStateMachine();
      IOException enospc = new IOException("No space left on device");
      sm.notifyLogFailed(new IOException("Log already failed at index 3", enospc), null);
      sm.notifyLogFailed(new IOException("something else later"), null);

      assertThat(node.logFailure().get(10, TimeUnit.SECONDS))
          .isEqualTo("raft log write failed: No space left on device");
      assertThat(node.statusDocument().get("logFailure"))
          .isEqualTo("raft log write failed: No space left on device");
      assertThat(node.meterRegistry().get("sequencer.raft.log.failed").gauge().value())
          .isEqualTo(1.0);
      String ready = get(port, "/ready");
      assertThat(ready)
          .startsWith("503 ")
          .contains(
              "[-]log_writable failed: raft log write failed: No space left on device; the node"
                  + " has left the cluster and must be restarted");

      // The Raft server closes (off the log worker's thread) and releases its port.
      server = node.raftServer();
      await(
          Duration.ofSeconds(30),
          () -> server.getLifeCycleState().isClosingOrClosed(),
          "the Raft server to close");
      await(Duration.ofSeconds(30), () -> canBind(raftPort), "the Raft port to be released");
    }
    // The node's close waited for that close to end (a second close of a Raft server returns at
    // once), so nothing of Ratis still writes to the data directory.
    assertThat(server.getLifeCycleState()).isEqualTo(LifeCycle.State.CLOSED);
  }

  private static void await(Duration timeout, BooleanSupplier condition, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waiting for %s", what).isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  private static boolean canBind(int port) {
    try (ServerSocket again = new ServerSocket()) {
      again.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static String get(int port, String path) {
    try {
      HttpResponse<String> r =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                      .timeout(Duration.ofSeconds(5))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      return r.statusCode() + " " + r.body();
    } catch (IOException e) {
      return "-1 " + e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "-1 interrupted";
    }
  }
}
