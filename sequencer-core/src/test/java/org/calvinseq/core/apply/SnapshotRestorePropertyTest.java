package org.calvinseq.core.apply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.calvinseq.core.codec.CodecException;
import org.calvinseq.core.dedupe.DedupeLimits;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.queue.VShardConsumer;
import org.calvinseq.core.routing.CollectionHashRouter;
import org.calvinseq.core.testing.Invariants;
import org.calvinseq.core.testing.LogGenerator;
import org.calvinseq.core.testing.MapLog;
import org.junit.jupiter.api.Test;

/**
 * Snapshot + restore + the rest of the log equals the whole log from scratch (etcd's quick-check
 * habit): same final {@link SequencerState}, and the restored replica delivers the same per-vshard
 * streams for the suffix, whether its consumers take them live or replay them. The generated logs
 * retry txns by their client txn ids, so the de-duplication state crosses the snapshot; the entry
 * that turns de-duplication on comes before or after the cut; with tiny windows, clients are
 * forgotten and sequences refused as too old on both sides of it.
 */
class SnapshotRestorePropertyTest {
  private static final int VSHARDS = 6;
  private static final DedupeLimits TINY = new DedupeLimits(2, 3, 40);

  @Property(tries = 60)
  void restoreThenApplyTheRestEqualsApplyingEverything(
      @ForAll long seed,
      @ForAll @IntRange(min = 0, max = 100) int entries,
      @ForAll @IntRange(min = 0, max = 100) int cutPercent,
      @ForAll @IntRange(min = 1, max = 50) int retention,
      @ForAll boolean tinyWindows,
      @ForAll @IntRange(min = 0, max = 40) int activateAfter)
      throws CodecException {
    DedupeLimits limits = tinyWindows ? TINY : DedupeLimits.PROTOCOL;
    CollectionHashRouter router = new CollectionHashRouter(VSHARDS);
    LogGenerator gen = new LogGenerator(seed, router, limits, activateAfter);
    List<LogGenerator.Entry> log = gen.generate(entries);
    MapLog mapLog = new MapLog();
    log.forEach(e -> mapLog.put(e.index(), e.bytes()));
    int cut = log.size() * cutPercent / 100;

    Replica whole = new Replica(router, retention, limits, mapLog);
    Replica first = new Replica(router, retention, limits, mapLog);
    for (int i = 0; i < log.size(); i++) {
      whole.apply(log.get(i));
      if (i < cut) {
        first.apply(log.get(i));
      }
    }
    SequencerState snap = first.sm.snapshot();
    byte[] bytes = StateCodec.encode(snap);
    SequencerState decoded = StateCodec.decode(bytes);
    assertThat(decoded).isEqualTo(snap);
    assertThat(StateCodec.encode(decoded)).isEqualTo(bytes);

    EpochStateMachine restoredSm = Replica.newMachine(router, retention, limits);
    restoredSm.restore(decoded);
    assertThat(restoredSm.snapshot()).isEqualTo(snap);
    Replica restored = new Replica(restoredSm, mapLog, first.sm.lastAppliedEpoch());
    for (int i = 0; i < log.size(); i++) {
      restored.apply(log.get(i)); // the prefix again, as Ratis re-applies after a restart: no-ops
    }

    assertThat(restored.sm.snapshot()).isEqualTo(whole.sm.snapshot());
    Invariants.check(restored.sm);
    long cutEpoch = first.sm.lastAppliedEpoch();
    for (int v = 0; v < VSHARDS; v++) {
      List<SequencedTxn> suffix = new ArrayList<>();
      for (SequencedTxn t : whole.delivered.get(v)) {
        if (t.epoch() > cutEpoch) {
          suffix.add(t);
        }
      }
      assertThat(restored.delivered.get(v)).as("vshard %d after the snapshot", v).isEqualTo(suffix);
      assertThat(whole.delivered.get(v)).isEqualTo(gen.model().stream(v));
    }
  }

  @Test
  void corruptSnapshotsAreRefusedWithACodecException() {
    CollectionHashRouter router = new CollectionHashRouter(VSHARDS);
    LogGenerator gen = new LogGenerator(3, router);
    Replica r = new Replica(router, 100, DedupeLimits.PROTOCOL, new MapLog());
    gen.generate(40).forEach(r::apply);
    byte[] good = StateCodec.encode(r.sm.snapshot());

    for (int len = 0; len < good.length; len++) {
      byte[] cut = java.util.Arrays.copyOf(good, len);
      assertThatThrownBy(() -> StateCodec.decode(cut)).isInstanceOf(CodecException.class);
    }
    byte[] huge = {(byte) 0x9a, 1, 6, 0, 0, 0, 0, (byte) 0xdd, 0x7f, (byte) 0xff, (byte) 0xff, 0};
    assertThatThrownBy(() -> StateCodec.decode(huge)).isInstanceOf(CodecException.class);
    byte[] otherVersion = good.clone();
    assertThat(otherVersion[1]).isEqualTo((byte) StateCodec.VERSION);
    otherVersion[1] = 3;
    assertThatThrownBy(() -> StateCodec.decode(otherVersion))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("version 3");
  }

  /** A state machine with a consumer on every vshard that drains after each entry. */
  private static final class Replica {
    final EpochStateMachine sm;
    final Map<Integer, List<SequencedTxn>> delivered = new TreeMap<>();
    final List<VShardConsumer> consumers = new ArrayList<>();

    Replica(CollectionHashRouter router, int retention, DedupeLimits limits, MapLog log) {
      this(newMachine(router, retention, limits), log, -1);
    }

    Replica(EpochStateMachine sm, MapLog log, long processedThroughEpoch) {
      this.sm = sm;
      for (int v = 0; v < VSHARDS; v++) {
        delivered.put(v, new ArrayList<>());
        consumers.add(
            new VShardConsumer(
                sm.subscriptions(), v, processedThroughEpoch, sm.replayer(log), sm.metrics()));
      }
    }

    static EpochStateMachine newMachine(
        CollectionHashRouter router, int retention, DedupeLimits limits) {
      return EpochStateMachine.builder()
          .router(router)
          .dedupeLimits(limits)
          .epochRetention(retention)
          .completionMaxEntries(8)
          .completionRetentionMs(40)
          .maxGapRanges(3)
          .queueCapacity(4)
          .build();
    }

    void apply(LogGenerator.Entry e) {
      sm.apply(e.index(), e.bytes());
      for (VShardConsumer c : consumers) {
        c.drain(delivered.get(c.vshard())::add, Integer.MAX_VALUE);
      }
    }
  }
}
