package org.calvinseq.it.fault;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.calvinseq.core.queue.VShardQueue;
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
          () -> {
            VShardQueue q = NodeInternals.core(node).subscriptions().queue(0);
            return q != null && q.isBehind() && !q.resumePending();
          },
          "vshard 0 on " + node.nodeId() + " to overflow its queue");
      // The apply thread marks the queue behind as the offer fails but adds the epoch's drops to
      // the counter only when the epoch's fan-out ends, so the counter may trail the flag.
      LocalCluster.await(
          Duration.ofSeconds(30),
          () ->
              node.meterRegistry().get("sequencer.drops").tag("reason", "full").counter().count()
                  > 0,
          "live deliveries on " + node.nodeId() + " counted as dropped on a full queue");

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
