package org.calvinseq.server.ratis;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
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
  void aFollowerWhoseNextIndexIsTheLeadersLogStartNeedsTheSnapshot() {
    // Leader's log starts at 101 (1..100 purged, snapshot at 150); follower next index 101.
    assertThat(RecoveringLogAppender.previousIsMissing(101, 300, false, 150)).isTrue();
  }

  @Test
  void anAppendRequestCanBeBuiltWhenThePreviousEntryIsInTheLogOrIsTheSnapshot() {
    assertThat(RecoveringLogAppender.previousIsMissing(101, 300, true, 150)).isFalse();
    assertThat(RecoveringLogAppender.previousIsMissing(151, 300, false, 150)).isFalse();
    // The very first entry has no previous; a follower that is caught up needs nothing.
    assertThat(RecoveringLogAppender.previousIsMissing(0, 300, false, 150)).isFalse();
    assertThat(RecoveringLogAppender.previousIsMissing(300, 300, false, 150)).isFalse();
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
