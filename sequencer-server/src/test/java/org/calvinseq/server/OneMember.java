package org.calvinseq.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A one-member cluster for this module's tests: member n1 on a free loopback Raft port. */
final class OneMember {
  private OneMember() {}

  /** A builder of member n1 of a one-member cluster, its data in {@code dir}/n1. */
  static SequencerNodeBuilder builder(Path dir) {
    int raftPort;
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      raftPort = s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return SequencerNode.builder()
        .nodeId("n1")
        .peers("n1@127.0.0.1:" + raftPort)
        .dataDir(dir.resolve("n1"));
  }

  /** Waits up to 30 s for {@code node} to be the ready leader. */
  static void awaitLeaderReady(SequencerNode node) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!node.isLeaderReady()) {
      assertThat(System.nanoTime()).as(node.config().nodeId() + " leads").isLessThan(deadline);
      Thread.sleep(20);
    }
  }
}
