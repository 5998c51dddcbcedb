package org.calvinseq.core.testing;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.BitSet;
import org.calvinseq.core.apply.ApplyResult;
import org.calvinseq.core.apply.EpochStateMachine;
import org.calvinseq.core.codec.EntryEncoder;
import org.calvinseq.core.dedupe.DedupeLimits;
import org.calvinseq.core.metrics.SequencerMetrics;
import org.calvinseq.core.model.SequencerEntry;
import org.calvinseq.core.queue.VShardConsumer;
import org.calvinseq.core.replay.Replayer;
import org.calvinseq.core.routing.CollectionHashRouter;

/**
 * One state machine with its metrics and its log, built through {@link #builder()} (Kafka's {@code
 * RaftClientTestContext.Builder} in spirit): every entry appended through it gets the next Raft
 * index, is stored in the log, and is applied.
 */
public final class Harness {
  public final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  public final SequencerMetrics metrics = new SequencerMetrics(registry);
  public final MapLog log = new MapLog();
  public final CollectionHashRouter router;
  public final EpochStateMachine sm;
  private long nextIndex = 1;

  private Harness(Builder b) {
    this.router = new CollectionHashRouter(b.vshards);
    EpochStateMachine.Builder sb =
        EpochStateMachine.builder()
            .router(router)
            .queueCapacity(b.queueCapacity)
            .epochRetention(b.epochRetention)
            .completionMaxEntries(b.completionMaxEntries)
            .completionRetentionMs(b.completionRetentionMs)
            .hosted(b.hosted)
            .dedupeLimits(b.dedupeLimits)
            .metrics(metrics);
    this.sm = sb.build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Encodes, logs and applies {@code entry} at the next index. */
  public ApplyResult apply(SequencerEntry entry) {
    return applyRaw(EntryEncoder.encode(entry));
  }

  /** Logs and applies raw bytes at the next index. */
  public ApplyResult applyRaw(byte[] bytes) {
    long index = nextIndex++;
    log.put(index, bytes);
    return sm.apply(index, bytes);
  }

  /** Leaves {@code n} indexes unused, as non-state-machine entries (configuration) would. */
  public void skipIndexes(int n) {
    nextIndex += n;
  }

  public long nextIndex() {
    return nextIndex;
  }

  public Replayer replayer() {
    return sm.replayer(log);
  }

  /** A consumer of {@code vshard} that has processed nothing yet, replaying from this log. */
  public VShardConsumer consumer(int vshard) {
    return new VShardConsumer(sm.subscriptions(), vshard, -1, replayer(), metrics);
  }

  public double counter(String name, String... tags) {
    Counter c = registry.find(name).tags(tags).counter();
    if (c == null) {
      throw new AssertionError("no counter " + name + " with tags " + String.join(",", tags));
    }
    return c.count();
  }

  public double gauge(String name) {
    return registry.get(name).gauge().value();
  }

  public static final class Builder {
    private int vshards = 16;
    private int queueCapacity = 1024;
    private long epochRetention = 1_000_000;
    private int completionMaxEntries = 1_000_000;
    private long completionRetentionMs = 600_000;
    private BitSet hosted;
    private DedupeLimits dedupeLimits = DedupeLimits.PROTOCOL;

    public Builder dedupeLimits(DedupeLimits limits) {
      this.dedupeLimits = limits;
      return this;
    }

    public Builder vshards(int n) {
      this.vshards = n;
      return this;
    }

    public Builder queueCapacity(int n) {
      this.queueCapacity = n;
      return this;
    }

    public Builder epochRetention(long n) {
      this.epochRetention = n;
      return this;
    }

    public Builder completionMaxEntries(int n) {
      this.completionMaxEntries = n;
      return this;
    }

    public Builder completionRetentionMs(long ms) {
      this.completionRetentionMs = ms;
      return this;
    }

    public Builder hosted(BitSet hosted) {
      this.hosted = hosted;
      return this;
    }

    public Harness build() {
      return new Harness(this);
    }
  }
}
