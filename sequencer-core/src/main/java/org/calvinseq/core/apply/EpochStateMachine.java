package org.calvinseq.core.apply;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.Executor;
import org.calvinseq.core.codec.CodecException;
import org.calvinseq.core.codec.EntryDecoder;
import org.calvinseq.core.codec.WireFormat;
import org.calvinseq.core.completion.CompletionRegistry;
import org.calvinseq.core.dedupe.ClientWindows;
import org.calvinseq.core.dedupe.DedupeLimits;
import org.calvinseq.core.metrics.SequencerMetrics;
import org.calvinseq.core.model.AckBatch;
import org.calvinseq.core.model.ClusterInit;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.NotSequenced;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.SequencerEntry;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.queue.OfferResult;
import org.calvinseq.core.queue.Subscriptions;
import org.calvinseq.core.queue.VShardQueue;
import org.calvinseq.core.replay.EpochIndex;
import org.calvinseq.core.replay.LogSource;
import org.calvinseq.core.replay.Replayer;
import org.calvinseq.core.routing.CollectionHashRouter;
import org.calvinseq.core.routing.Participants;
import org.calvinseq.core.routing.VShardRouter;

/**
 * The deterministic apply path (DESIGN section 4). For each committed entry at Raft index {@code
 * i}:
 *
 * <ol>
 *   <li>{@code i <= lastAppliedIndex}: nothing (a restart re-applying from its snapshot);
 *   <li>decode; an undecodable entry is counted, reported to the {@link ApplyListener} and skipped;
 *   <li>epoch check against {@code nextEpoch}: a batch without an epoch takes it; a batch naming it
 *       is applied; a lower one is stale (never applied, counted, reported); a higher one is a gap
 *       (counted, range recorded, applied, {@code nextEpoch} jumps). Epochs never go back. One
 *       named more than {@link WireFormat#MAX_EPOCH_GAP} above {@code nextEpoch}, or above {@link
 *       WireFormat#MAX_EPOCH}, is out of range: counted, reported and skipped, taking no epoch, so
 *       that no entry can use up the epoch space and stop later batches;
 *   <li>{@code epochSystemMs = max(previous + 1, min(proposerMs, previous + MAX_EPOCH_MS_STEP))}
 *       (see {@link #epochSystemMs});
 *   <li>de-duplication, once a cluster-init entry has recorded apply rules {@link
 *       WireFormat#RULES_DEDUPE} or later: a txn whose client txn id was already sequenced, or is
 *       below its client's window, is not sequenced and its position stays empty ({@link
 *       ClientWindows});
 *   <li>fan-out: each other txn is offered, without blocking, to the queue of each participating
 *       vshard hosted here; a full or closed queue puts its vshard behind (see {@link
 *       VShardQueue});
 *   <li>count the entry, then advance {@code lastAppliedEpoch} and {@code lastAppliedIndex}: a
 *       reader that sees an entry applied sees its counters (but a fan-out's drops are counted at
 *       the end of the epoch, after the queue they left behind is marked so).
 * </ol>
 *
 * <p>It reads no clock, no random source and no environment, never blocks, does no I/O and never
 * throws on bad input. One thread calls {@link #apply}; other threads may read the volatile
 * progress fields, subscribe and replay.
 */
public final class EpochStateMachine {
  private final VShardRouter router;
  private final Subscriptions subscriptions;
  private final CompletionRegistry completions;
  private final EpochIndex epochIndex;
  private final SequencerMetrics metrics;
  private final ApplyListener listener;
  private final int maxGapRanges;
  private final String clusterName;
  private final EntryDecoder decoder = new EntryDecoder();
  private final Participants participants;
  private final ArrayDeque<GapRange> gaps = new ArrayDeque<>();
  private final ClientWindows clients;

  private volatile long lastAppliedIndex = -1;
  private volatile long nextEpoch = 0;
  private volatile long lastAppliedEpoch = -1;
  private volatile long lastEpochSystemMs = -1;
  private volatile long fanOutEpoch = -1; // the epoch being fanned out, -1 between batches
  // The log's, replicated; volatile for the leader's inbox, which writes grouped batches once the
  // log records the rules that read them.
  private volatile int rulesVersion = ClusterInit.FIRST_RULES_VERSION;

  private EpochStateMachine(Builder b) {
    this.router = b.router;
    this.metrics = b.metrics;
    this.listener = b.listener;
    this.maxGapRanges = b.maxGapRanges;
    this.clusterName = b.clusterName;
    this.participants = new Participants(router);
    this.clients = new ClientWindows(b.dedupeLimits);
    this.epochIndex = new EpochIndex(b.epochRetention);
    this.completions =
        new CompletionRegistry(b.completionRetentionMs, b.completionMaxEntries, b.notifier);
    this.subscriptions =
        new Subscriptions(
            router.vshardCount(), b.hosted, b.queueCapacity, this::missedThroughEpoch);
    metrics.bindGauges(
        new SequencerMetrics.Gauges(
            this::lastAppliedEpoch,
            this::lastAppliedIndex,
            subscriptions::behindCount,
            () -> subscriptions.depth()[0],
            () -> subscriptions.depth()[1],
            completions::pendingCount,
            clients::clientCount));
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Applies the entry at {@code index}; see the class comment. Never throws on bad bytes. */
  public ApplyResult apply(long index, byte[] data) {
    return apply(index, ByteBuffer.wrap(data));
  }

  public ApplyResult apply(long index, ByteBuffer data) {
    if (index <= lastAppliedIndex) {
      return new ApplyResult.AlreadyApplied(index);
    }
    SequencerEntry entry;
    try {
      entry = decoder.readGrouped(rulesVersion >= WireFormat.RULES_GROUPED).decode(data);
    } catch (CodecException e) {
      return undecodable(index, e.getMessage());
    }
    return applyDecoded(index, entry);
  }

  /**
   * Applies an entry that was already decoded from the entry's bytes at {@code index}: the leader
   * decoded them to validate the proposal and need not decode them again. Decoding is a pure
   * function of the bytes, so the result is the one every other replica gets from the bytes.
   */
  public ApplyResult apply(long index, SequencerEntry entry) {
    if (index <= lastAppliedIndex) {
      return new ApplyResult.AlreadyApplied(index);
    }
    return applyDecoded(index, entry);
  }

  private ApplyResult applyDecoded(long index, SequencerEntry entry) {
    if (entry instanceof AckBatch acks) {
      int done = completions.apply(acks.acks(), lastEpochSystemMs);
      metrics.acks(acks.acks().size(), done);
      lastAppliedIndex = index;
      return new ApplyResult.Acks(index, acks.acks().size());
    }
    if (entry instanceof ClusterInit init) {
      lastAppliedIndex = index;
      String mismatch = clusterInitMismatch(init);
      if (mismatch == null) {
        // Never lowered: a leader of an older version that takes office later records 1.
        rulesVersion = Math.max(rulesVersion, init.rulesVersion());
      }
      return new ApplyResult.ClusterInitApplied(index, mismatch);
    }
    return applyBatch(index, (EpochBatch) entry);
  }

  private ApplyResult undecodable(long index, String detail) {
    metrics.decodeError();
    lastAppliedIndex = index;
    listener.onDecodeError(index, detail);
    return new ApplyResult.DecodeError(index, detail);
  }

  /**
   * Null when {@code init} records this node's settings (its router's vshard count and, if the
   * builder was given one, its cluster name) and apply rules this code knows, else one line saying
   * what differs. A node that cannot apply the log's rules must stop rather than diverge.
   */
  public String clusterInitMismatch(ClusterInit init) {
    if (init.rulesVersion() > WireFormat.RULES_VERSION) {
      return "the cluster's log records apply rules version "
          + init.rulesVersion()
          + " but this node applies up to version "
          + WireFormat.RULES_VERSION
          + "; upgrade it";
    }
    return init.mismatch(router.vshardCount(), clusterName);
  }

  /**
   * The apply rules the log has recorded so far (1 before any cluster-init entry that records
   * more); de-duplication runs from version {@link WireFormat#RULES_DEDUPE}, and grouped batches
   * decode from {@link WireFormat#RULES_GROUPED}. Any thread.
   */
  public int rulesVersion() {
    return rulesVersion;
  }

  /** Records that the entry at {@code index} was not for the state machine (e.g. configuration). */
  public void skipIndex(long index) {
    if (index > lastAppliedIndex) {
      lastAppliedIndex = index;
    }
  }

  private ApplyResult applyBatch(long index, EpochBatch batch) {
    long expected = nextEpoch;
    long epoch = batch.hasEpoch() ? batch.epoch() : expected;
    if (epoch < expected) {
      metrics.stale();
      lastAppliedIndex = index;
      listener.onStale(index, epoch, expected);
      return new ApplyResult.Stale(index, epoch, expected, batch.txns().size());
    }
    if (epoch > WireFormat.MAX_EPOCH || epoch - expected > WireFormat.MAX_EPOCH_GAP) {
      return outOfRange(index, epoch, expected, batch.txns().size());
    }
    long gap = epoch - expected;
    if (gap > 0) {
      gaps.addLast(new GapRange(expected, epoch - 1));
      while (gaps.size() > maxGapRanges) {
        gaps.pollFirst();
      }
      listener.onGap(index, expected, epoch - 1);
    }
    long ms = epochSystemMs(batch.proposerMs(), lastEpochSystemMs);
    List<NotSequenced> notSequenced =
        rulesVersion >= WireFormat.RULES_DEDUPE ? dedupe(batch.txns(), epoch, ms) : List.of();
    int[] holes = positions(notSequenced);
    fanOutEpoch = epoch;
    fanOut(index, batch.txns(), epoch, ms, holes);
    epochIndex.append(epoch, index, ms, holes);
    // Counted before the index and epoch are published: whoever sees them applied (a test, a
    // /status reader) then sees the entry's counters too.
    metrics.batchApplied(batch.txns().size(), batch.txns().size() - holes.length, gap);
    lastEpochSystemMs = ms;
    nextEpoch = epoch + 1;
    lastAppliedIndex = index;
    lastAppliedEpoch = epoch; // written before fanOutEpoch is cleared: see missedThroughEpoch
    fanOutEpoch = -1;
    return new ApplyResult.Sequenced(index, epoch, ms, batch.txns().size(), expected, notSequenced);
  }

  /**
   * Exactly-once (docs/wire-format.md, section 9a): the txns of the batch that are retries, by
   * ascending position; counted.
   */
  private List<NotSequenced> dedupe(List<Txn> txns, long epoch, long ms) {
    long expiredBefore = clients.expiredCount();
    long evictedBefore = clients.evictedCount();
    List<NotSequenced> out = clients.decide(txns, epoch, ms);
    int duplicates = 0;
    for (NotSequenced n : out) {
      duplicates += n.reason() == NotSequenced.Reason.DUPLICATE ? 1 : 0;
    }
    metrics.dedupe(
        duplicates,
        out.size() - duplicates,
        clients.expiredCount() - expiredBefore,
        clients.evictedCount() - evictedBefore);
    return out;
  }

  private static final int[] NO_HOLES = new int[0];

  private static int[] positions(List<NotSequenced> notSequenced) {
    if (notSequenced.isEmpty()) {
      return NO_HOLES;
    }
    int[] out = new int[notSequenced.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = notSequenced.get(i).position();
    }
    return out;
  }

  /**
   * A batch that names an epoch more than {@link WireFormat#MAX_EPOCH_GAP} above {@code expected},
   * or above {@link WireFormat#MAX_EPOCH}: skipped, counted and reported like a stale batch, on
   * every replica alike; it takes no epoch, so later batches are sequenced as if it were not there.
   */
  private ApplyResult outOfRange(long index, long epoch, long expected, int txns) {
    metrics.outOfRange();
    lastAppliedIndex = index;
    String detail =
        epoch > WireFormat.MAX_EPOCH
            ? "epoch " + epoch + " is above the last epoch " + WireFormat.MAX_EPOCH
            : "epoch "
                + epoch
                + " is more than "
                + WireFormat.MAX_EPOCH_GAP
                + " above the next epoch "
                + expected;
    listener.onEpochOutOfRange(index, epoch, expected);
    return new ApplyResult.OutOfRange(index, epoch, expected, txns, detail);
  }

  /**
   * The deterministic time of an epoch: the proposer's clock, made strictly increasing, and moved
   * at most {@link WireFormat#MAX_EPOCH_MS_STEP} past the previous epoch's time (never above {@link
   * WireFormat#MAX_PROPOSER_MS} for the first epoch). {@code previousMs} is -1 before the first
   * epoch. Total over all longs: nothing overflows, and the result is strictly above {@code
   * previousMs} unless that is already {@code Long.MAX_VALUE} (only a state written by a version
   * without the step bound can hold it).
   */
  public static long epochSystemMs(long proposerMs, long previousMs) {
    if (previousMs == Long.MAX_VALUE) {
      return previousMs;
    }
    long floor = Math.max(previousMs + 1, 0);
    long cap;
    if (previousMs < 0) {
      cap = WireFormat.MAX_PROPOSER_MS;
    } else if (previousMs >= WireFormat.MAX_PROPOSER_MS - WireFormat.MAX_EPOCH_MS_STEP) {
      cap = WireFormat.MAX_PROPOSER_MS;
    } else {
      cap = previousMs + WireFormat.MAX_EPOCH_MS_STEP;
    }
    return Math.max(floor, Math.min(proposerMs, cap));
  }

  /** Offers each txn of the batch, except those at the ascending positions {@code holes}. */
  private void fanOut(long index, List<Txn> txns, long epoch, long ms, int[] holes) {
    long live = 0;
    long full = 0;
    long closed = 0;
    long behind = 0;
    int hole = 0;
    for (int pos = 0, n = txns.size(); pos < n; pos++) {
      if (hole < holes.length && holes[hole] == pos) {
        hole++; // a retry: not sequenced, nothing to deliver
        continue;
      }
      Txn txn = txns.get(pos);
      int count = participants.compute(txn);
      int[] vshards = participants.buffer();
      SequencedTxn sequenced = null;
      for (int i = 0; i < count; i++) {
        VShardQueue q = subscriptions.queue(vshards[i]);
        if (q == null) {
          continue; // not hosted here, or no consumer yet: it will replay when it subscribes
        }
        if (sequenced == null) {
          sequenced = Participants.sequence(txn, epoch, pos, ms);
        }
        boolean wasBehind = q.isBehind();
        OfferResult r = q.deliver(sequenced);
        if (wasBehind && r != OfferResult.BEHIND) {
          listener.onVShardCaughtUp(index, vshards[i], epoch);
        }
        switch (r) {
          case ACCEPTED -> live++;
          case BEHIND -> behind++;
          case FULL -> {
            full++;
            listener.onVShardBehind(index, vshards[i], epoch, r);
          }
          case CLOSED -> {
            closed++;
            listener.onVShardBehind(index, vshards[i], epoch, r);
          }
        }
      }
    }
    metrics.fanOut(live, full, closed, behind);
  }

  /**
   * The newest epoch whose fan-out may have run without seeing a queue that was just published: the
   * batch being fanned out, else the last applied one. A subscriber publishes its queue first and
   * then calls this; the volatile accesses order the two sides, so a batch that starts fanning out
   * after this read returned -1 for it sees the queue.
   */
  private long missedThroughEpoch() {
    long inFlight = fanOutEpoch;
    return inFlight >= 0 ? inFlight : lastAppliedEpoch;
  }

  // ---- progress, read from any thread ----

  public long lastAppliedIndex() {
    return lastAppliedIndex;
  }

  public long nextEpoch() {
    return nextEpoch;
  }

  /** The last applied epoch, or -1 before the first batch. */
  public long lastAppliedEpoch() {
    return lastAppliedEpoch;
  }

  /** The upper bound for a rebuild: the last epoch committed and applied here, or -1. */
  public long currentCommittedEpoch() {
    return lastAppliedEpoch;
  }

  public long lastEpochSystemMs() {
    return lastEpochSystemMs;
  }

  /** The most recent gap ranges, oldest first. Apply thread, or when no apply runs. */
  public List<GapRange> gaps() {
    return new ArrayList<>(gaps);
  }

  public VShardRouter router() {
    return router;
  }

  public Subscriptions subscriptions() {
    return subscriptions;
  }

  public CompletionRegistry completions() {
    return completions;
  }

  public EpochIndex epochIndex() {
    return epochIndex;
  }

  /** The de-duplication state: read it on the apply thread, or when no apply runs. */
  public ClientWindows clientWindows() {
    return clients;
  }

  public SequencerMetrics metrics() {
    return metrics;
  }

  /** A replayer over {@code log} that stamps epochs exactly as this state machine did. */
  public Replayer replayer(LogSource log) {
    return new Replayer(epochIndex, log, router, this::currentCommittedEpoch);
  }

  // ---- snapshots ----

  /** Captures the state. Call on the apply thread (or when no apply runs). */
  public SequencerState snapshot() {
    return new SequencerState(
        router.vshardCount(),
        lastAppliedIndex,
        nextEpoch,
        lastAppliedEpoch,
        lastEpochSystemMs,
        new ArrayList<>(gaps),
        epochIndex.droppedThroughEpoch(),
        epochIndex.export(),
        completions.export(),
        completions.watermark(),
        rulesVersion,
        epochIndex.exportHoles(),
        clients.export());
  }

  /**
   * Replaces the state with {@code s}. Call when no apply runs.
   *
   * @throws IllegalArgumentException if {@code s} belongs to a cluster with another vshard count
   */
  public void restore(SequencerState s) {
    if (s.vshardCount() != router.vshardCount()) {
      throw new IllegalArgumentException(
          "snapshot was taken with vshardCount="
              + s.vshardCount()
              + " but this node is configured with vshardCount="
              + router.vshardCount()
              + "; the vshard count is fixed for a cluster's life");
    }
    // Live queues would otherwise skip silently from their last epoch to the restored one. They
    // fall behind BEFORE the restored epoch becomes visible: a consumer that reads the new
    // committed epoch and then sees itself not behind takes every epoch up to it as delivered
    // (the reference engine advanced its state across a snapshot install that way, unapplied).
    subscriptions.fallBehindThrough(s.lastAppliedEpoch());
    gaps.clear();
    gaps.addAll(s.gaps());
    epochIndex.load(s.droppedThroughEpoch(), s.epochIndex(), s.epochHoles());
    completions.load(s.completions(), s.completionsEvicted());
    clients.load(s.clients());
    rulesVersion = s.rulesVersion();
    lastAppliedIndex = s.lastAppliedIndex();
    nextEpoch = s.nextEpoch();
    lastEpochSystemMs = s.lastEpochSystemMs();
    lastAppliedEpoch = s.lastAppliedEpoch();
    // Again, for a queue subscribed meanwhile: it may have taken the old epoch as its start.
    subscriptions.fallBehindThrough(s.lastAppliedEpoch());
  }

  /** Configuration of a state machine; every setting has a default. */
  public static final class Builder {
    private VShardRouter router = new CollectionHashRouter();
    private BitSet hosted;
    private int queueCapacity = 65_536;
    private long epochRetention = 1_000_000;
    private long completionRetentionMs = 600_000;
    private int completionMaxEntries = 1_000_000;
    private int maxGapRanges = 1024;
    private Executor notifier = Runnable::run;
    private SequencerMetrics metrics = SequencerMetrics.noop();
    private ApplyListener listener = ApplyListener.NONE;
    private String clusterName;
    private DedupeLimits dedupeLimits = DedupeLimits.PROTOCOL;

    /**
     * The bounds of the de-duplication state; default, and the only value nodes use, {@link
     * DedupeLimits#PROTOCOL}. Every replica of a log must use the same ones: other values are for
     * tests that need to reach the window's edges with few entries.
     */
    public Builder dedupeLimits(DedupeLimits limits) {
      this.dedupeLimits = java.util.Objects.requireNonNull(limits, "limits");
      return this;
    }

    /**
     * The cluster name that cluster-init entries must record (default null: only their vshard count
     * is checked, against the router's).
     */
    public Builder clusterName(String clusterName) {
      this.clusterName = clusterName;
      return this;
    }

    public Builder router(VShardRouter router) {
      this.router = router;
      return this;
    }

    /** The vshards hosted on this node; default all. */
    public Builder hosted(BitSet hosted) {
      this.hosted = hosted;
      return this;
    }

    /** Per-vshard queue bound, rounded up to a power of two. */
    public Builder queueCapacity(int queueCapacity) {
      this.queueCapacity = queueCapacity;
      return this;
    }

    /** How many epochs the replay index keeps. */
    public Builder epochRetention(long epochs) {
      this.epochRetention = epochs;
      return this;
    }

    public Builder completionRetentionMs(long ms) {
      this.completionRetentionMs = ms;
      return this;
    }

    public Builder completionMaxEntries(int n) {
      this.completionMaxEntries = n;
      return this;
    }

    public Builder maxGapRanges(int n) {
      this.maxGapRanges = n;
      return this;
    }

    /** Runs the completion of local waiters' futures; default: the applying thread. */
    public Builder notifier(Executor notifier) {
      this.notifier = notifier;
      return this;
    }

    /** Where the apply path counts; default {@link SequencerMetrics#noop()}. */
    public Builder metrics(SequencerMetrics metrics) {
      this.metrics = java.util.Objects.requireNonNull(metrics, "metrics");
      return this;
    }

    /** Hears gaps, stale batches, decode errors and vshard transitions; default none. */
    public Builder listener(ApplyListener listener) {
      this.listener = java.util.Objects.requireNonNull(listener, "listener");
      return this;
    }

    public EpochStateMachine build() {
      if (queueCapacity < 1 || epochRetention < 1 || maxGapRanges < 1) {
        throw new IllegalArgumentException(
            "queueCapacity, epochRetention and maxGapRanges must be >= 1");
      }
      if (hosted != null && hosted.length() > router.vshardCount()) {
        throw new IllegalArgumentException(
            "hosted vshards go up to "
                + (hosted.length() - 1)
                + " but vshardCount is "
                + router.vshardCount());
      }
      return new EpochStateMachine(this);
    }
  }
}
