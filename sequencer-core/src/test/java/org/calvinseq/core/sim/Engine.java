package org.calvinseq.core.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.calvinseq.core.metrics.SequencerMetrics;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.queue.VShardConsumer;
import org.calvinseq.core.queue.VShardQueue;

/** A storage engine's scheduler for one vshard: its durable progress and its consumer. */
final class Engine {
  final Replica r;
  final int vshard;
  final List<SequencedTxn> processed = new ArrayList<>();
  VShardConsumer consumer;
  int stalledUntil = -1;
  int offlineUntil = -1;

  Engine(Replica r, int vshard) {
    this.r = r;
    this.vshard = vshard;
  }

  /** Subscribes at the last processed txn, often inside an epoch. */
  void connect() {
    List<SequencedTxn> ref = r.w.model.stream(vshard);
    if (processed.isEmpty()) {
      consumer =
          new VShardConsumer(
              r.sm.subscriptions(),
              vshard,
              (TxnId) null,
              r.replaySource(),
              SequencerMetrics.noop());
      return;
    }
    SequencedTxn last = processed.get(processed.size() - 1);
    boolean epochDone =
        ref.size() == processed.size() || ref.get(processed.size()).epoch() > last.epoch();
    if (epochDone && r.w.rnd.nextBoolean()) {
      consumer =
          new VShardConsumer(
              r.sm.subscriptions(),
              vshard,
              last.epoch(),
              r.replaySource(),
              SequencerMetrics.noop());
    } else {
      if (!epochDone) {
        r.w.count("mid-epoch resubscribes");
      }
      consumer =
          new VShardConsumer(
              r.sm.subscriptions(), vshard, last.id(), r.replaySource(), SequencerMetrics.noop());
    }
  }

  void poll(int max) {
    if (consumer == null || r.w.step < stalledUntil) {
      return;
    }
    VShardQueue q = r.sm.subscriptions().queue(vshard);
    if (q != null && q.size() == q.capacity()) {
      r.w.count("queue full");
    }
    List<SequencedTxn> ref = r.w.model.stream(vshard);
    for (int i = 0; i < max; i++) {
      SequencedTxn t = consumer.poll();
      if (t == null) {
        return;
      }
      int n = processed.size();
      assertThat(n)
          .as("replica %d vshard %d got %s beyond the reference stream", r.id, vshard, t.id())
          .isLessThan(ref.size());
      assertThat(t)
          .as(
              "replica %d vshard %d txn #%d (after %s)",
              r.id, vshard, n, n == 0 ? "nothing" : processed.get(n - 1).id())
          .isEqualTo(ref.get(n));
      assertThat(t.epoch()).isLessThanOrEqualTo(r.sm.lastAppliedEpoch());
      r.w.checker.delivered("replica " + r.id + " vshard " + vshard, t);
      processed.add(t);
    }
  }

  void stallFor(int steps) {
    stalledUntil = r.w.step + steps;
  }

  void restartConsumer() {
    if (consumer != null) {
      consumer.close();
      r.w.count("consumer restarts");
      connect();
    }
  }

  void goOffline(int steps) {
    if (consumer != null) {
      consumer.close();
      consumer = null;
      offlineUntil = r.w.step + steps;
      r.w.count("offline");
    }
  }
}
