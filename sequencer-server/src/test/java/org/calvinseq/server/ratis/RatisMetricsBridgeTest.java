package org.calvinseq.server.ratis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.metrics.Timekeeper;
import org.apache.ratis.metrics.impl.DefaultTimekeeperImpl;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.metrics.SegmentedRaftLogMetrics;
import org.apache.ratis.thirdparty.com.codahale.metrics.Timer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The bridged Ratis log timers against Ratis's own {@link SegmentedRaftLogMetrics}, the class the
 * log worker records with: counts and sums are running totals of what was recorded.
 */
class RatisMetricsBridgeTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<SegmentedRaftLogMetrics> made = new ArrayList<>();
  private RatisMetricsBridge bridge; // the registry holds the bridge's meter sources weakly

  @AfterEach
  void unregister() {
    made.forEach(SegmentedRaftLogMetrics::unregister);
    registry.close();
  }

  private SegmentedRaftLogMetrics logMetrics(String nodeId, RaftGroupId group) {
    SegmentedRaftLogMetrics m =
        new SegmentedRaftLogMetrics(RaftGroupMemberId.valueOf(RaftPeerId.valueOf(nodeId), group));
    made.add(m);
    return m;
  }

  private static Timer dropwizard(Timekeeper t) {
    return ((DefaultTimekeeperImpl) t).getTimer();
  }

  @Test
  void theSumAddsUpEveryDurationRecorded() {
    bridge = RatisMetricsBridge.bind(registry, "sum-node");
    SegmentedRaftLogMetrics m = logMetrics("sum-node", RaftGroupId.randomId());
    Timer sync = dropwizard(m.getSyncTimer());
    assertThat(sync).isInstanceOf(RatisMetricsBridge.SummingTimer.class);

    FunctionTimer exported = registry.get("sequencer.raft.log.sync").functionTimer();
    for (int i = 0; i < 500; i++) {
      sync.update(40, TimeUnit.MILLISECONDS);
    }
    double first = exported.totalTime(TimeUnit.SECONDS);
    assertThat(first).isCloseTo(20.0, within(1e-9));
    for (int i = 0; i < 500; i++) {
      sync.update(1, TimeUnit.MILLISECONDS);
    }
    assertThat(exported.count()).isEqualTo(1000);
    assertThat(exported.totalTime(TimeUnit.SECONDS)).isCloseTo(20.5, within(1e-9));
    assertThat(registry.get("sequencer.raft.log.sync.p99").gauge().value()).isPositive();
  }

  @Test
  void ratisRecordingPathsAllReachTheExportedTimers() {
    bridge = RatisMetricsBridge.bind(registry, "paths-node");
    SegmentedRaftLogMetrics m = logMetrics("paths-node", RaftGroupId.randomId());
    m.getSyncTimer().time().stop();
    m.startFlushTimer().close();
    m.startFlushTimer().close();
    m.startAppendEntryTimer().stop();
    m.onRaftLogCacheMiss();

    assertThat(registry.get("sequencer.raft.log.sync").functionTimer().count()).isEqualTo(1);
    assertThat(registry.get("sequencer.raft.log.flush").functionTimer().count()).isEqualTo(2);
    assertThat(registry.get("sequencer.raft.log.append").functionTimer().count()).isEqualTo(1);
    assertThat(
            registry
                .get("sequencer.raft.log.flush")
                .functionTimer()
                .totalTime(TimeUnit.NANOSECONDS))
        .isPositive();
    FunctionCounter misses = registry.get("sequencer.raft.log.cache.misses").functionCounter();
    assertThat(misses.count()).isEqualTo(1);
  }

  @Test
  void totalsOfARegistryThatWentAwayAreKept() {
    bridge = RatisMetricsBridge.bind(registry, "again-node");
    RaftGroupId group = RaftGroupId.randomId();
    SegmentedRaftLogMetrics before = logMetrics("again-node", group);
    dropwizard(before.getSyncTimer()).update(30, TimeUnit.MILLISECONDS);
    before.onRaftLogCacheMiss();
    FunctionTimer sync = registry.get("sequencer.raft.log.sync").functionTimer();
    FunctionCounter misses = registry.get("sequencer.raft.log.cache.misses").functionCounter();
    assertThat(sync.count()).isEqualTo(1); // a scrape: the bridge has seen this registry
    assertThat(misses.count()).isEqualTo(1);

    before.unregister(); // the member closed: its registry is gone
    made.remove(before);
    assertThat(sync.count()).isEqualTo(1);
    assertThat(sync.totalTime(TimeUnit.MILLISECONDS)).isCloseTo(30.0, within(1e-9));

    SegmentedRaftLogMetrics after = logMetrics("again-node", group); // and was made again
    dropwizard(after.getSyncTimer()).update(5, TimeUnit.MILLISECONDS);
    after.onRaftLogCacheMiss();
    assertThat(sync.count()).isEqualTo(2);
    assertThat(sync.totalTime(TimeUnit.MILLISECONDS)).isCloseTo(35.0, within(1e-9));
    assertThat(misses.count()).isEqualTo(2);
  }

  @Test
  void aMemberWithoutARegistryReadsZero() {
    bridge = RatisMetricsBridge.bind(registry, "absent-node");
    assertThat(registry.get("sequencer.raft.log.sync").functionTimer().count()).isZero();
    assertThat(registry.get("sequencer.raft.log.sync.p99").gauge().value()).isZero();
    assertThat(registry.get("sequencer.raft.log.cache.misses").functionCounter().count()).isZero();
  }
}
