package org.calvinseq.core.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.calvinseq.core.model.AckBatch;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.CompletionAck;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.SequencerEntry;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.model.TxnId;

/**
 * The codec against itself: every generated entry survives a round trip, re-encodes to the same
 * bytes, and equal values encode to equal bytes however their sets were given.
 */
class CodecRoundTripPropertyTest {

  @Property(tries = 300)
  void decodeOfEncodeIsIdentityAndReencodingIsByteIdentical(@ForAll("entries") SequencerEntry e)
      throws CodecException {
    byte[] bytes = EntryEncoder.encode(e);

    SequencerEntry decoded = new EntryDecoder().decode(bytes);

    assertThat(decoded).isEqualTo(e);
    assertThat(EntryEncoder.encode(decoded)).isEqualTo(bytes);
  }

  /**
   * One decoder reused across entries and buffer kinds (it keeps scratch buffers and a name cache
   * between calls): earlier results must not change when later entries are decoded.
   */
  @Property(tries = 100)
  void aReusedDecoderKeepsEarlierResultsIntact(@ForAll("entryLists") List<SequencerEntry> es)
      throws CodecException {
    EntryDecoder decoder = new EntryDecoder();
    List<SequencerEntry> decoded = new ArrayList<>();
    for (int i = 0; i < es.size(); i++) {
      byte[] bytes = EntryEncoder.encode(es.get(i));
      decoded.add(
          switch (i % 3) {
            case 0 -> decoder.decode(bytes);
            case 1 -> decoder.decode(ByteBuffer.wrap(bytes).asReadOnlyBuffer());
            default -> decoder.decode(direct(bytes));
          });
      Arrays.fill(bytes, (byte) 0); // the decoded value must not share the input
    }
    assertThat(decoded).isEqualTo(es);
  }

  @Property(tries = 200)
  void equalValuesEncodeToEqualBytesHoweverTheirSetsWereGiven(
      @ForAll("batches") EpochBatch b, @ForAll Random random) {
    List<Txn> messy = new ArrayList<>();
    for (Txn t : b.txns()) {
      messy.add(
          new Txn(
              t.clientTxnId(),
              t.tenantId(),
              shuffledWithDuplicates(t.readSet(), random),
              shuffledWithDuplicates(t.writeSet(), random),
              t.payload().clone()));
    }
    EpochBatch same = new EpochBatch(b.epoch(), b.proposerMs(), messy);

    assertThat(same).isEqualTo(b);
    assertThat(EntryEncoder.encode(same)).isEqualTo(EntryEncoder.encode(b));
  }

  /**
   * A grouped batch survives a round trip and re-encodes to the same bytes; a decoder that does not
   * read grouped batches (the default: clients' proposals) refuses it, naming the version.
   */
  @Property(tries = 300)
  void groupedBatchesRoundTripAndOnlyADecoderThatReadsThemAcceptsThem(
      @ForAll("groupedBatches") EpochBatch b) throws CodecException {
    byte[] bytes = EntryEncoder.encodeGrouped(b);

    SequencerEntry decoded = new EntryDecoder().readGrouped(true).decode(bytes);

    assertThat(decoded).isEqualTo(b);
    assertThat(EntryEncoder.encodeGrouped((EpochBatch) decoded)).isEqualTo(bytes);
    assertThatThrownBy(() -> new EntryDecoder().decode(bytes))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("format version 2");
    assertThat(new EntryDecoder().readGrouped(true).decode(EntryEncoder.encode(b)))
        .as("format 1 stays readable")
        .isEqualTo(b);
  }

  /**
   * A grouped batch takes at most the bounds {@link EncodedSize} charges its txns, and at most 3
   * bytes per txn more than format 1 (a txn without a client txn id alone between two with one).
   */
  @Property(tries = 300)
  void aGroupedBatchFitsItsBoundsAndIsNearlyNeverLarger(@ForAll("groupedBatches") EpochBatch b) {
    long bound = EncodedSize.BATCH_OVERHEAD;
    for (Txn t : b.txns()) {
      bound += EncodedSize.txnBound(t);
    }
    int grouped = EntryEncoder.encodeGrouped(b).length;

    assertThat((long) grouped).isLessThanOrEqualTo(bound);
    assertThat(grouped).isLessThanOrEqualTo(EntryEncoder.encode(b).length + 3 * b.txns().size());
  }

  /**
   * A batch encoded from runs encoded earlier is byte for byte the batch encoded at once, groups
   * that continue from one run into the next joined.
   */
  @Property(tries = 300)
  void aBatchFromRunsIsTheBatchEncodedAtOnce(
      @ForAll("groupedBatches") EpochBatch b, @ForAll Random random) {
    List<EntryEncoder.TxnRun> runs = runs(b.txns(), random);

    assertThat(EntryEncoder.encodeGrouped(b, runs)).isEqualTo(EntryEncoder.encodeGrouped(b));
  }

  /**
   * Runs that are not exactly the batch's txns are refused, even when they hold equal txns: the
   * bytes must come from the objects the leader applies.
   */
  @Property(tries = 200)
  void runsThatAreNotTheBatchsTxnsAreRefused(
      @ForAll("batches") EpochBatch b, @ForAll("txns") Txn extra, @ForAll Random random) {
    List<Txn> txns = b.txns();
    List<List<Txn>> wrong = new ArrayList<>();
    wrong.add(concat(txns, List.of(extra))); // one txn too many
    if (!txns.isEmpty()) {
      wrong.add(txns.subList(0, txns.size() - 1)); // one too few
      List<Txn> copies = new ArrayList<>(txns); // an equal txn, but another object
      int i = random.nextInt(txns.size());
      Txn t = txns.get(i);
      copies.set(
          i,
          new Txn(t.clientTxnId(), t.tenantId(), t.readSet(), t.writeSet(), t.payload().clone()));
      wrong.add(copies);
    }
    if (txns.size() > 1) {
      List<Txn> swapped = new ArrayList<>(txns);
      Collections.swap(swapped, 0, txns.size() - 1);
      wrong.add(swapped);
    }
    for (List<Txn> w : wrong) {
      List<EntryEncoder.TxnRun> runs = runs(w, random);
      assertThatThrownBy(() -> EntryEncoder.encodeGrouped(b, runs))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("the batch");
    }
  }

  /** {@code txns} split at random points into runs, some of them empty. */
  private static List<EntryEncoder.TxnRun> runs(List<Txn> txns, Random random) {
    List<EntryEncoder.TxnRun> runs = new ArrayList<>();
    int from = 0;
    while (from < txns.size() || runs.isEmpty()) {
      int to = from + random.nextInt(txns.size() - from + 1);
      runs.add(EntryEncoder.encodeRun(txns.subList(from, to)));
      from = to;
    }
    return runs;
  }

  private static List<Txn> concat(List<Txn> a, List<Txn> b) {
    List<Txn> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  /** Key order must be UTF-8 byte order, or engines in other languages would sort differently. */
  @Property(tries = 500)
  void keyOrderIsUtf8ByteOrderThenUnsignedKeyBytes(@ForAll("keys") Key a, @ForAll("keys") Key b) {
    int expected =
        Arrays.compareUnsigned(
            a.collection().getBytes(StandardCharsets.UTF_8),
            b.collection().getBytes(StandardCharsets.UTF_8));
    if (expected == 0) {
      expected = Arrays.compareUnsigned(a.keyUnsafe(), b.keyUnsafe());
    }
    assertThat(Integer.signum(a.compareTo(b))).isEqualTo(Integer.signum(expected));
  }

  private static <T> List<T> shuffledWithDuplicates(List<T> in, Random random) {
    List<T> out = new ArrayList<>(in);
    for (T t : in) {
      if (random.nextBoolean()) {
        out.add(t);
      }
    }
    Collections.shuffle(out, random);
    return out;
  }

  private static ByteBuffer direct(byte[] bytes) {
    ByteBuffer b = ByteBuffer.allocateDirect(bytes.length);
    b.put(bytes).flip();
    return b;
  }

  // ---- generators ----

  /** Collection names from ASCII, 2-, 3- and 4-byte UTF-8 and edge code points. */
  @Provide
  Arbitrary<String> collections() {
    return Arbitraries.of(
            "a", "b", "z", "A", "_", "0", "é", "ß", "中", "文", "😀", "𝄞", "\u0000", "\u007f",
            "\u0080", "\u07ff", "\u0800", "\ud7ff", "\ue000", "\uffff")
        .list()
        .ofMinSize(1)
        .ofMaxSize(5)
        .map(parts -> String.join("", parts));
  }

  @Provide
  Arbitrary<Key> keys() {
    return Combinators.combine(collections(), Arbitraries.bytes().array(byte[].class).ofMaxSize(6))
        .as(Key::new);
  }

  @Provide
  Arbitrary<Txn> txns() {
    Arbitrary<ClientTxnId> ids =
        Combinators.combine(Arbitraries.longs(), Arbitraries.longs())
            .as(ClientTxnId::new)
            .injectNull(0.4);
    Arbitrary<List<Key>> sets = keys().list().ofMaxSize(5);
    Arbitrary<Long> tenants =
        Arbitraries.frequencyOf(
            Tuple.of(2, Arbitraries.longs().between(0, 10)),
            Tuple.of(1, Arbitraries.longs()),
            Tuple.of(1, Arbitraries.of(-1L, Long.MIN_VALUE, Long.MAX_VALUE)));
    return Combinators.combine(
            ids, tenants, sets, sets, Arbitraries.bytes().array(byte[].class).ofMaxSize(40))
        .as(Txn::new);
  }

  @Provide
  Arbitrary<EpochBatch> batches() {
    Arbitrary<Long> epochs =
        Arbitraries.frequencyOf(
            Tuple.of(2, Arbitraries.just(EpochBatch.AUTO_EPOCH)),
            Tuple.of(2, Arbitraries.longs().between(0, 1000)),
            Tuple.of(1, Arbitraries.longs().between(0, Long.MAX_VALUE)));
    return Combinators.combine(epochs, Arbitraries.longs(), txns().list().ofMaxSize(4))
        .as(EpochBatch::new);
  }

  /**
   * Batches whose client txn ids come in runs, as clients send them: a few clients' consecutive
   * sequences (some near 2^64-1, where sequences must not wrap), txns without ids among them, and
   * ids that repeat or go back.
   */
  @Provide
  Arbitrary<EpochBatch> groupedBatches() {
    return Combinators.combine(
            batches(), txns().list().ofMaxSize(30), Arbitraries.randoms(), Arbitraries.of(1, 2, 3))
        .as(
            (b, more, random, clients) -> {
              List<Txn> txns = new ArrayList<>(b.txns());
              txns.addAll(more);
              long[] next = new long[clients];
              for (int c = 0; c < clients; c++) {
                next[c] = random.nextInt(3) == 0 ? -3 : random.nextInt(100);
              }
              List<Txn> out = new ArrayList<>();
              int c = 0;
              for (Txn t : txns) {
                int roll = random.nextInt(10);
                ClientTxnId id;
                if (roll < 2) {
                  id = null;
                } else {
                  if (roll == 2) {
                    c = random.nextInt(clients); // another client
                  } else if (roll == 3) {
                    next[c] -= random.nextInt(3); // a retry, or a sequence again
                  } else if (roll == 4) {
                    next[c] += random.nextInt(3); // a sequence skipped
                  }
                  id = new ClientTxnId(c + 1, next[c]++);
                }
                out.add(new Txn(id, t.tenantId(), t.readSet(), t.writeSet(), t.payload()));
              }
              return new EpochBatch(b.epoch(), b.proposerMs(), out);
            });
  }

  @Provide
  Arbitrary<AckBatch> ackBatches() {
    Arbitrary<CompletionAck> ack =
        Combinators.combine(
                Arbitraries.longs().between(0, Long.MAX_VALUE),
                Arbitraries.integers().between(0, Integer.MAX_VALUE),
                Arbitraries.integers().between(0, Integer.MAX_VALUE),
                Arbitraries.integers().between(1, Integer.MAX_VALUE))
            .as((e, p, v, n) -> new CompletionAck(new TxnId(e, p), v, n));
    return ack.list().ofMaxSize(5).map(AckBatch::new);
  }

  @Provide
  Arbitrary<SequencerEntry> entries() {
    return Arbitraries.frequencyOf(Tuple.of(3, batches()), Tuple.of(1, ackBatches()));
  }

  @Provide
  Arbitrary<List<SequencerEntry>> entryLists() {
    return entries().list().ofMinSize(1).ofMaxSize(8);
  }
}
