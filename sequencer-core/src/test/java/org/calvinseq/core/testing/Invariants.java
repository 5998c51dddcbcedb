package org.calvinseq.core.testing;

import java.util.List;
import org.calvinseq.core.apply.EpochStateMachine;
import org.calvinseq.core.apply.GapRange;
import org.calvinseq.core.completion.CompletionRegistry;
import org.calvinseq.core.queue.Subscriptions;
import org.calvinseq.core.queue.VShardQueue;
import org.calvinseq.core.replay.EpochIndex;

/**
 * The state machine's internal invariants, checked from outside (Caffeine's {@code
 * CacheValidationInterceptor} in spirit). Each violation names the invariant and the values.
 */
public final class Invariants {
  private Invariants() {}

  /** Throws an AssertionError naming the first broken invariant of {@code sm}. */
  public static void check(EpochStateMachine sm) {
    long last = sm.lastAppliedEpoch();
    require(last >= -1, "lastAppliedEpoch >= -1", last);
    require(
        sm.nextEpoch() == last + 1,
        "nextEpoch == lastAppliedEpoch + 1",
        sm.nextEpoch() + " vs " + last);
    require(
        (last == -1) == (sm.lastEpochSystemMs() == -1),
        "lastEpochSystemMs is -1 exactly before the first epoch",
        sm.lastEpochSystemMs());

    EpochIndex idx = sm.epochIndex();
    require(idx.size() <= idx.retention(), "epoch index within retention", idx.size());
    long prevEpoch = idx.droppedThroughEpoch();
    long prevLogIndex = Long.MIN_VALUE;
    long prevMs = Long.MIN_VALUE;
    for (long n = idx.start(); n < idx.end(); n++) {
      long e = idx.epochAt(n);
      long li = idx.indexAt(n);
      long ms = idx.msAt(n);
      require(e > prevEpoch, "indexed epochs rise (and lie above droppedThroughEpoch)", e);
      require(li > prevLogIndex, "indexed log indexes rise", li);
      require(li <= sm.lastAppliedIndex(), "indexed log index <= lastAppliedIndex", li);
      require(ms >= prevMs && (ms > prevMs || ms == Long.MAX_VALUE), "epoch times rise", ms);
      prevEpoch = e;
      prevLogIndex = li;
      prevMs = ms;
    }
    if (!idx.isEmpty()) {
      require(idx.lastEpoch() == last, "last indexed epoch == lastAppliedEpoch", idx.lastEpoch());
      require(idx.msAt(idx.end() - 1) == sm.lastEpochSystemMs(), "last ms indexed", prevMs);
    }

    List<GapRange> gaps = sm.gaps();
    long prevGapEnd = -1;
    for (GapRange g : gaps) {
      require(g.fromEpoch() > prevGapEnd || prevGapEnd == -1, "gap ranges ascend, disjoint", g);
      require(g.toEpoch() < last, "gap ranges lie below lastAppliedEpoch", g);
      require(
          idx.seekEpoch(g.fromEpoch()) == idx.seekEpoch(g.toEpoch() + 1),
          "no epoch of a gap range was applied",
          g);
      prevGapEnd = g.toEpoch();
    }

    Subscriptions subs = sm.subscriptions();
    for (int v = 0; v < subs.vshardCount(); v++) {
      VShardQueue q = subs.queue(v);
      if (q != null) {
        require(q.size() <= q.capacity(), "queue size <= capacity", v + ": " + q.size());
      }
    }

    CompletionRegistry c = sm.completions();
    List<CompletionRegistry.State> states = c.export();
    long open = states.stream().filter(s -> !s.completed()).count();
    require(c.trackedCount() == states.size(), "tracked count == exported states", states.size());
    require(c.pendingCount() == open, "pending count == open states", c.pendingCount());
    for (CompletionRegistry.State s : states) {
      int[] a = s.acked();
      for (int i = 1; i < a.length; i++) {
        require(a[i - 1] < a[i], "acked vshards sorted and unique", s.txnId());
      }
      require(s.completed() == (a.length >= s.participants()), "completed iff all acked", s);
    }
  }

  private static void require(boolean ok, String invariant, Object value) {
    if (!ok) {
      throw new AssertionError("invariant broken: " + invariant + " (" + value + ")");
    }
  }
}
