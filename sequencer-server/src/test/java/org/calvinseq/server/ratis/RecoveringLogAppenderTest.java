package org.calvinseq.server.ratis;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.rpc.RpcType;
import org.apache.ratis.server.ServerFactory;
import org.calvinseq.server.RatisSettings;
import org.calvinseq.server.SequencerNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecoveringLogAppenderTest {
  @Test
  void aFailedAppenderWaitsBeforeItIsReplaced() {
    long start = System.nanoTime();
    RecoveringLogAppender.pauseBeforeRestart();
    assertThat(System.nanoTime() - start)
        .isGreaterThanOrEqualTo(
            TimeUnit.MILLISECONDS.toNanos(RecoveringLogAppender.RESTART_PAUSE_MS));
    assertThat(Thread.currentThread().isInterrupted()).isFalse();
  }

  @Test
  void anAppenderClosedWhileItWaitsStopsWaitingAndStaysInterrupted() {
    Thread.currentThread().interrupt();
    long start = System.nanoTime();
    RecoveringLogAppender.pauseBeforeRestart();
    long waited = System.nanoTime() - start;
    assertThat(Thread.interrupted()).as("the interrupt is kept for Ratis to see").isTrue();
    assertThat(waited)
        .isLessThan(TimeUnit.MILLISECONDS.toNanos(RecoveringLogAppender.RESTART_PAUSE_MS));
  }

  @Test
  void nodesUseTheRecoveringTransportAndRatisFindsItByName(@TempDir Path dir) {
    RaftProperties p =
        RatisSettings.of(
            SequencerNode.builder().nodeId("n1").peers("n1@127.0.0.1:1").dataDir(dir).config());
    RpcType type = RaftConfigKeys.Rpc.type(p, ignored -> {});
    assertThat(type).isInstanceOf(SequencerRpcType.class);
    assertThat(RpcType.valueOf(type.name())).isInstanceOf(SequencerRpcType.class);
    assertThat(ServerFactory.cast(type.newFactory(new Parameters())))
        .isInstanceOf(SequencerRpcType.Factory.class);
  }
}
