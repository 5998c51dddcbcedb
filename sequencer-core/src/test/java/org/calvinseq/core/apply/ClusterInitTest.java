package org.calvinseq.core.apply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.List;
import org.calvinseq.core.codec.CodecException;
import org.calvinseq.core.codec.EntryDecoder;
import org.calvinseq.core.codec.EntryEncoder;
import org.calvinseq.core.codec.WireFormat;
import org.calvinseq.core.model.ClusterInit;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.routing.CollectionHashRouter;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

/** Cluster-init entries: their codec and what applying one does. */
class ClusterInitTest {
  private static EpochStateMachine machine(int vshards, String name) {
    return EpochStateMachine.builder()
        .router(new CollectionHashRouter(vshards))
        .clusterName(name)
        .build();
  }

  @Test
  void roundTripsThroughTheCodec() throws Exception {
    ClusterInit init = new ClusterInit(1024, "orders-eu");
    assertThat(new EntryDecoder().decode(EntryEncoder.encode(init))).isEqualTo(init);
  }

  @Test
  void aMatchingEntryTakesNoEpochAndChangesNothing() {
    EpochStateMachine sm = machine(16, "c1");
    sm.apply(1, EntryEncoder.encode(EpochBatch.auto(1_000, List.of())));
    ApplyResult r = sm.apply(2, EntryEncoder.encode(new ClusterInit(16, "c1")));
    assertThat(r.kind()).isEqualTo(ApplyResult.Kind.CLUSTER_INIT);
    assertThat(((ApplyResult.ClusterInitApplied) r).mismatch()).isNull();
    assertThat(r.sequenced()).isFalse();
    assertThat(sm.lastAppliedIndex()).isEqualTo(2);
    assertThat(sm.nextEpoch()).isEqualTo(1);
    ApplyResult next = sm.apply(3, EntryEncoder.encode(EpochBatch.auto(2_000, List.of())));
    assertThat(next.kind()).isEqualTo(ApplyResult.Kind.APPLIED);
    assertThat(((ApplyResult.Sequenced) next).epoch()).isEqualTo(1);
  }

  @Test
  void aDifferentVShardCountOrNameIsReported() {
    ApplyResult count = machine(32, "c1").apply(1, EntryEncoder.encode(new ClusterInit(16, "c1")));
    assertThat(count.kind()).isEqualTo(ApplyResult.Kind.CLUSTER_INIT);
    assertThat(((ApplyResult.ClusterInitApplied) count).mismatch())
        .isEqualTo(
            "the cluster's log records vshardCount=16 but this node is configured with"
                + " vshardCount=32; the vshard count is fixed for a cluster's life");
    ApplyResult name = machine(16, "c2").apply(1, EntryEncoder.encode(new ClusterInit(16, "c1")));
    assertThat(((ApplyResult.ClusterInitApplied) name).mismatch())
        .isEqualTo(
            "the cluster's log records cluster name 'c1' but this node is configured with cluster"
                + " name 'c2'");
    // Without a configured name, only the count is checked.
    assertThat(machine(16, null).clusterInitMismatch(new ClusterInit(16, "any"))).isNull();
  }

  @Test
  void malformedClusterInitEntriesAreRejectedAtTheField() throws Exception {
    assertRejected(
        entry(p -> p.packInt(WireFormat.INIT_CLUSTER_NAME).packString("c")), "vshardCount");
    assertRejected(entry(p -> p.packInt(WireFormat.INIT_VSHARD_COUNT).packInt(4)), "clusterName");
    assertRejected(
        entry(
            p -> {
              p.packInt(WireFormat.INIT_VSHARD_COUNT).packInt(0);
              p.packInt(WireFormat.INIT_CLUSTER_NAME).packString("c");
            }),
        "vshardCount");
    assertRejected(
        entry(
            p -> {
              p.packInt(WireFormat.INIT_VSHARD_COUNT).packInt(4);
              p.packInt(WireFormat.INIT_CLUSTER_NAME).packString("");
            }),
        "clusterName");
    assertRejected(
        entry(
            p -> {
              p.packInt(WireFormat.BATCH_TXNS).packArrayHeader(0);
              p.packInt(WireFormat.INIT_VSHARD_COUNT).packInt(4);
              p.packInt(WireFormat.INIT_CLUSTER_NAME).packString("c");
            }),
        "txns");
  }

  /**
   * A grouped batch is an entry that does not decode until the log records apply rules 3: the same
   * on every replica, and on replicas of earlier versions, which read only format 1. From there on
   * it applies as the same txns in format 1 do.
   */
  @Test
  void aGroupedBatchDecodesOnlyFromTheRulesThatReadIt() {
    EpochBatch b =
        EpochBatch.auto(
            1_700_000_000_000L,
            List.of(
                new org.calvinseq.core.model.Txn(
                    new org.calvinseq.core.model.ClientTxnId(7, 1),
                    0,
                    List.of(),
                    List.of(org.calvinseq.core.model.Key.of("c", "k")),
                    new byte[1])));
    byte[] grouped = EntryEncoder.encodeGrouped(b);
    EpochStateMachine sm = machine(4, "c");
    sm.apply(1, EntryEncoder.encode(new ClusterInit(4, "c", WireFormat.RULES_DEDUPE)));
    ApplyResult before = sm.apply(2, grouped);
    assertThat(before.kind()).isEqualTo(ApplyResult.Kind.DECODE_ERROR);
    assertThat(((ApplyResult.DecodeError) before).detail()).contains("format version 2");
    assertThat(sm.nextEpoch()).as("it took no epoch").isZero();

    sm.apply(3, EntryEncoder.encode(new ClusterInit(4, "c")));
    assertThat(sm.rulesVersion()).isEqualTo(WireFormat.RULES_GROUPED);
    EpochStateMachine plain = machine(4, "c");
    plain.apply(1, EntryEncoder.encode(new ClusterInit(4, "c")));
    ApplyResult after = sm.apply(4, grouped);
    assertThat(after.kind()).isEqualTo(ApplyResult.Kind.APPLIED);
    assertThat(after).isEqualTo(plain.apply(4, EntryEncoder.encode(b)));
    ApplyResult retry = sm.apply(5, grouped);
    assertThat(((ApplyResult.Sequenced) retry).notSequenced())
        .as("its client txn id was recorded: the retry is a duplicate")
        .hasSize(1);
  }

  @Test
  void theRulesVersionIsOptionalAndNeverLowered() throws Exception {
    assertThat(new ClusterInit(4, "c").rulesVersion()).isEqualTo(WireFormat.RULES_VERSION);
    byte[] old =
        entry(
            p -> {
              p.packInt(WireFormat.INIT_VSHARD_COUNT).packInt(4);
              p.packInt(WireFormat.INIT_CLUSTER_NAME).packString("c");
            });
    assertThat(new EntryDecoder().decode(old)).isEqualTo(new ClusterInit(4, "c", 1));
    assertThat(EntryEncoder.encode(new ClusterInit(4, "c", 1))).isEqualTo(old);

    EpochStateMachine sm = machine(4, "c");
    assertThat(sm.rulesVersion()).isEqualTo(1);
    sm.apply(1, old);
    assertThat(sm.rulesVersion()).as("an entry without the field records 1").isEqualTo(1);
    sm.apply(2, EntryEncoder.encode(new ClusterInit(4, "c", 2)));
    assertThat(sm.rulesVersion()).isEqualTo(2);
    sm.apply(3, EntryEncoder.encode(new ClusterInit(4, "c")));
    assertThat(sm.rulesVersion()).isEqualTo(3);
    sm.apply(4, old); // a leader of an older version took office later
    assertThat(sm.rulesVersion()).as("never lowered").isEqualTo(3);
    assertThat(StateCodec.decode(StateCodec.encode(sm.snapshot())).rulesVersion()).isEqualTo(3);
  }

  @Test
  void rulesNewerThanThisNodeKnowsStopIt() {
    EpochStateMachine sm = machine(4, "c");
    ApplyResult r =
        sm.apply(1, EntryEncoder.encode(new ClusterInit(4, "c", WireFormat.RULES_VERSION + 1)));
    assertThat(((ApplyResult.ClusterInitApplied) r).mismatch())
        .contains("apply rules version " + (WireFormat.RULES_VERSION + 1))
        .contains("upgrade");
    assertThat(sm.rulesVersion()).isEqualTo(1);
  }

  @Test
  void aMalformedRulesVersionIsRejectedAtItsField() throws Exception {
    for (long bad : new long[] {0, -1, 1L << 31}) {
      assertRejected(
          entry(
              p -> {
                p.packInt(WireFormat.INIT_VSHARD_COUNT).packInt(4);
                p.packInt(WireFormat.INIT_CLUSTER_NAME).packString("c");
                p.packInt(WireFormat.INIT_RULES_VERSION).packLong(bad);
              }),
          "rulesVersion");
    }
  }

  /** Fields 6 to 8 in a batch stay unknown fields, skipped as before the type existed. */
  @Test
  void initFieldsInABatchAreSkippedAsUnknown() throws Exception {
    MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
    p.packMapHeader(7);
    p.packInt(WireFormat.ENTRY_VERSION).packInt(WireFormat.VERSION);
    p.packInt(WireFormat.ENTRY_TYPE).packInt(WireFormat.TYPE_BATCH);
    p.packInt(WireFormat.BATCH_PROPOSER_MS).packLong(5);
    p.packInt(WireFormat.BATCH_TXNS).packArrayHeader(0);
    p.packInt(WireFormat.INIT_VSHARD_COUNT).packString("not a number");
    p.packInt(WireFormat.INIT_CLUSTER_NAME).packInt(-1);
    p.packInt(WireFormat.INIT_RULES_VERSION).packString("neither");
    assertThat(new EntryDecoder().decode(p.toByteArray()))
        .isEqualTo(new EpochBatch(EpochBatch.AUTO_EPOCH, 5, List.of()));
  }

  private interface Fields {
    void write(MessageBufferPacker p) throws IOException;
  }

  /** A cluster-init entry map: version, type, then {@code fields} (counted by the caller's use). */
  private static byte[] entry(Fields fields) throws IOException {
    MessageBufferPacker body = MessagePack.newDefaultBufferPacker();
    fields.write(body);
    int n = countPairs(body.toByteArray());
    MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
    p.packMapHeader(2 + n);
    p.packInt(WireFormat.ENTRY_VERSION).packInt(WireFormat.VERSION);
    p.packInt(WireFormat.ENTRY_TYPE).packInt(WireFormat.TYPE_CLUSTER_INIT);
    fields.write(p);
    return p.toByteArray();
  }

  private static int countPairs(byte[] bytes) throws IOException {
    var u = MessagePack.newDefaultUnpacker(bytes);
    int values = 0;
    while (u.hasNext()) {
      u.skipValue();
      values++;
    }
    return values / 2;
  }

  private static void assertRejected(byte[] bytes, String field) {
    assertThatThrownBy(() -> new EntryDecoder().decode(bytes))
        .isInstanceOf(CodecException.class)
        .satisfies(e -> assertThat(((CodecException) e).field()).isEqualTo(field));
    ApplyResult r = machine(4, "c").apply(1, bytes);
    assertThat(r.kind()).isEqualTo(ApplyResult.Kind.DECODE_ERROR);
  }
}
