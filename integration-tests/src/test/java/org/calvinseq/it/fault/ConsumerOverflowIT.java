package org.calvinseq.it.fault;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.calvinseq.it.engine.KvEngine;
import org.calvinseq.server.NodeInternals;
import org.calvinseq.server.SequencerNode;
import org.calvinseq.testkit.LocalCluster;
import org.junit.jupiter.api.Test;

/**
 * A consumer stops consuming until its bounded queue overflows, then resumes: it catches up through
 * replay and ends with exactly the txns of its vshard, while the other consumers never stalled.
 */
class ConsumerOverflowIT {
  @Test
  void stalledConsumerOverflowsThenCatchesUpThroughReplay() throws Exception {
    try (FaultRun run =
        FaultRun.inProcess("consumer-overflow").node(b -> b.queueCapacity(16)).start()) {
      LocalCluster cluster = run.cluster();
      run.awaitAcknowledged(200, Duration.ofSeconds(60));
      int n = 1;
      SequencerNode node = cluster.node(n);
      KvEngine stalled = run.engine(n);
      stalled.pause(0);
      long stalledAt = stalled.throughEpoch();
      LocalCluster.await(
          Duration.ofSeconds(60),
          () -> NodeInternals.core(node).subscriptions().behindCount() >= 1,
          "vshard 0 on " + node.nodeId() + " to overflow its queue");
      double drops = Scrapes.sum(cluster.scrape(n), "sequencer_drops_total");
      assertThat(drops).as("live deliveries dropped on the full queue").isPositive();

      // The others keep going while vshard 0 of n2 stands still.
      run.awaitAcknowledged(200, Duration.ofSeconds(60));
      long others = Math.min(run.engine(0).throughEpoch(), run.engine(2).throughEpoch());
      assertThat(others).as("the other replicas progressed").isGreaterThan(stalledAt + 5);

      stalled.resume(0);
      run.awaitAcknowledged(100, Duration.ofSeconds(60));
      run.finish();
      double replayed =
          Scrapes.sum(cluster.scrape(n), "sequencer_deliveries_total", "path=\"replay\"");
      assertThat(replayed).as("deliveries through replay on %s", node.nodeId()).isPositive();
      assertThat(stalled.orderViolations()).isZero();
    }
  }
}
