package org.calvinseq.core.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.calvinseq.core.testing.Msgpack.REMOVE;
import static org.calvinseq.core.testing.Msgpack.array;
import static org.calvinseq.core.testing.Msgpack.map;
import static org.calvinseq.core.testing.Msgpack.pack;
import static org.calvinseq.core.testing.Msgpack.raw;
import static org.calvinseq.core.testing.Msgpack.with;
import static org.calvinseq.core.testing.Results.decodeError;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.calvinseq.core.apply.ApplyResult;
import org.calvinseq.core.apply.ApplyResult.Kind;
import org.calvinseq.core.testing.Harness;
import org.calvinseq.core.testing.Invariants;
import org.calvinseq.core.testing.LogGenerator;
import org.calvinseq.core.testing.Msgpack.Pairs;
import org.calvinseq.core.testing.StateMachineValidation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bytes that are not a valid entry: the apply path must count them, skip them and go on, never
 * throw (a synchronous exception closes the Ratis server), and the decoder must not allocate much
 * more than the entry's own size whatever lengths the bytes declare.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HostileInputTest {
  private static final HexFormat HEX = HexFormat.of();

  @RegisterExtension final StateMachineValidation validation = new StateMachineValidation();

  private final Harness h = validation.track(Harness.builder().build());

  // ---- the shapes of a valid batch and ack entry, to break one field at a time ----

  static List<Object> keyOf(Object collection, Object bytes) {
    return array(collection, bytes);
  }

  static Pairs validTxn() {
    return map(
        1,
        new byte[16],
        2,
        3,
        3,
        array(keyOf("a", new byte[] {1}), keyOf("b", new byte[] {0})),
        4,
        array(keyOf("c", new byte[] {2})),
        5,
        new byte[] {9, 9});
  }

  static Pairs validBatch(Object txn) {
    return map(0, 1, 1, 1, 2, 5, 3, 1000, 4, array(txn));
  }

  static Pairs validAck() {
    return map(1, 7, 2, 1, 3, 3, 4, 2);
  }

  static Pairs validAckEntry(Object ack) {
    return map(0, 1, 1, 2, 5, array(ack));
  }

  @Test
  void theBaseShapesAreValid() throws CodecException {
    assertThat(new EntryDecoder().decode(pack(validBatch(validTxn())))).isNotNull();
    assertThat(new EntryDecoder().decode(pack(validAckEntry(validAck())))).isNotNull();
  }

  /** A hostile entry: a name, its bytes and the field its error must name. */
  record Bad(String name, byte[] bytes, String field) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static final Object[] NOT_INT = {true, null, 1.5, "7", new byte[] {7}, array(), map()};
  private static final Object[] NOT_BIN = {true, null, 1.5, "x", 7, array(), map()};
  private static final Object[] NOT_STR = {true, null, 1.5, new byte[] {'x'}, 7, array(), map()};
  private static final Object[] NOT_ARRAY = {true, null, 1.5, "x", new byte[0], 7, map()};
  private static final Object[] NOT_MAP = {true, null, 1.5, "x", new byte[0], 7, array()};

  static List<Bad> wrongTypes() {
    List<Bad> out = new ArrayList<>();
    Pairs txn = validTxn();
    Pairs batch = validBatch(txn);
    for (Object v : NOT_INT) {
      out.add(bad("version=" + v, with(batch, 0, v), "version"));
      out.add(bad("type=" + v, with(batch, 1, v), "type"));
      out.add(bad("epoch=" + v, with(batch, 2, v), "epoch"));
      out.add(bad("proposerMs=" + v, with(batch, 3, v), "proposerMs"));
      out.add(bad("tenant=" + v, validBatch(with(txn, 2, v)), "txns[0].tenant"));
      for (int f = 1; f <= 4; f++) {
        out.add(bad("ack." + f + "=" + v, validAckEntry(with(validAck(), f, v)), "acks[0]"));
      }
    }
    for (Object v : NOT_ARRAY) {
      out.add(bad("txns=" + v, with(batch, 4, v), "txns"));
      out.add(bad("acks=" + v, with(validAckEntry(validAck()), 5, v), "acks"));
      out.add(bad("readSet=" + v, validBatch(with(txn, 3, v)), "txns[0].readSet"));
      out.add(bad("writeSet=" + v, validBatch(with(txn, 4, v)), "txns[0].writeSet"));
      out.add(bad("key=" + v, validBatch(with(txn, 4, array(v))), "txns[0].writeSet[0]"));
    }
    for (Object v : NOT_MAP) {
      out.add(bad("txn=" + v, validBatch(v), "txns[0]"));
      out.add(bad("ack=" + v, validAckEntry(v), "acks[0]"));
      out.add(bad("entry=" + v, v, "entry"));
    }
    for (Object v : NOT_BIN) {
      out.add(bad("clientTxnId=" + v, validBatch(with(txn, 1, v)), "txns[0].clientTxnId"));
      out.add(bad("payload=" + v, validBatch(with(txn, 5, v)), "txns[0].payload"));
      out.add(
          bad(
              "key bytes=" + v,
              validBatch(with(txn, 4, array(keyOf("c", v)))),
              "txns[0].writeSet[0]"));
    }
    for (Object v : NOT_STR) {
      out.add(
          bad(
              "collection=" + v,
              validBatch(with(txn, 4, array(keyOf(v, new byte[0])))),
              "txns[0].writeSet[0]"));
    }
    return out;
  }

  static List<Bad> wrongValues() {
    Pairs txn = validTxn();
    Pairs batch = validBatch(txn);
    Pairs ackEntry = validAckEntry(validAck());
    return List.of(
        bad("version 2", with(batch, 0, 2), "version"),
        bad("version 0", with(batch, 0, 0), "version"),
        bad("no version", with(batch, 0, REMOVE), "version"),
        bad("unknown entry type 99", with(batch, 1, 99), "type"),
        bad("no type", with(batch, 1, REMOVE), "type"),
        bad("batch without txns", with(batch, 4, REMOVE), "txns"),
        bad("batch without proposerMs", with(batch, 3, REMOVE), "proposerMs"),
        bad("batch with acks", with(batch, 5, array()), "acks"),
        bad("ack entry with txns", with(ackEntry, 4, array()), "txns"),
        bad("ack entry without acks", with(ackEntry, 5, REMOVE), "acks"),
        bad("negative epoch", with(batch, 2, -1), "epoch"),
        bad(
            "epoch above 2^63",
            with(batch, 2, raw(0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)),
            "epoch"),
        bad(
            "proposerMs above 2^63",
            with(batch, 3, raw(0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0)),
            "proposerMs"),
        bad("negative tenant as int64", validBatch(with(txn, 2, -5)), "txns[0].tenant"),
        bad(
            "clientTxnId of 15 bytes",
            validBatch(with(txn, 1, new byte[15])),
            "txns[0].clientTxnId"),
        bad(
            "clientTxnId of 17 bytes",
            validBatch(with(txn, 1, new byte[17])),
            "txns[0].clientTxnId"),
        bad(
            "key with 3 parts",
            validBatch(with(txn, 4, array(array("c", new byte[0], 1)))),
            "txns[0].writeSet[0]"),
        bad("key with 1 part", validBatch(with(txn, 4, array(array("c")))), "txns[0].writeSet[0]"),
        bad(
            "empty collection",
            validBatch(with(txn, 4, array(keyOf("", new byte[0])))),
            "txns[0].writeSet[0]"),
        bad(
            "non-UTF-8 collection",
            validBatch(with(txn, 4, array(keyOf(raw(0xa2, 0xff, 0xfe), new byte[0])))),
            "txns[0].writeSet[0]"),
        bad(
            "overlong UTF-8 collection",
            validBatch(with(txn, 4, array(keyOf(raw(0xa2, 0xc0, 0x80), new byte[0])))),
            "txns[0].writeSet[0]"),
        bad(
            "UTF-8 surrogate in collection",
            validBatch(with(txn, 4, array(keyOf(raw(0xa3, 0xed, 0xa0, 0x80), new byte[0])))),
            "txns[0].writeSet[0]"),
        bad(
            "unsorted set",
            validBatch(with(txn, 3, array(keyOf("b", new byte[0]), keyOf("a", new byte[0])))),
            "txns[0].readSet"),
        bad(
            "unsorted key bytes",
            validBatch(
                with(
                    txn,
                    3,
                    array(keyOf("a", new byte[] {(byte) 0x80}), keyOf("a", new byte[] {1})))),
            "txns[0].readSet"),
        bad(
            "duplicate key in a set",
            validBatch(with(txn, 3, array(keyOf("a", new byte[] {1}), keyOf("a", new byte[] {1})))),
            "txns[0].readSet"),
        bad("duplicate entry field", map(0, 1, 0, 1, 1, 1, 3, 0, 4, array()), "entry"),
        bad("duplicate txn field", validBatch(map(2, 1, 2, 1)), "txns[0]"),
        bad("duplicate ack field", validAckEntry(map(1, 7, 1, 7, 2, 1, 3, 3, 4, 2)), "acks[0]"),
        // Issue 12: unknown fields numbered 63 and above were not checked for duplicates.
        bad("duplicate unknown entry field 63", map(0, 1, 1, 2, 5, array(), 63, 0, 63, 0), "entry"),
        bad("duplicate unknown entry field 64", map(0, 1, 1, 2, 5, array(), 64, 0, 64, 1), "entry"),
        bad(
            "duplicate unknown entry field 2^31-1",
            map(0, 1, 1, 2, 5, array(), Integer.MAX_VALUE, 0, 9, 0, Integer.MAX_VALUE, 0),
            "entry"),
        bad(
            "duplicate unknown txn field 300",
            validBatch(map(2, 1, 300, 0, 4, array(), 300, 1)),
            "txns[0]"),
        bad(
            "duplicate unknown ack field 70",
            validAckEntry(map(1, 7, 2, 1, 3, 3, 4, 2, 70, 0, 70, 1)),
            "acks[0]"),
        bad("ack participants 0", validAckEntry(with(validAck(), 4, 0)), "acks[0]"),
        bad("ack without vshard", validAckEntry(with(validAck(), 3, REMOVE)), "acks[0]"),
        bad("ack position above 2^31", validAckEntry(with(validAck(), 2, 1L << 31)), "acks[0]"),
        bad("ack vshard above 2^31", validAckEntry(with(validAck(), 3, 1L << 31)), "acks[0]"),
        bad("negative field key", map(0, 1, 1, 1, 3, 0, 4, array(), -1, 0), "entry"),
        bad("string field key", map(0, 1, 1, 1, 3, 0, 4, array(), "x", 0), "entry"),
        bad("field key above 2^31", map(0, 1, 1, 1, 3, 0, 4, array(), 1L << 40, 0), "entry"));
  }

  /** Declared lengths far beyond the bytes present: nothing of that size may be allocated. */
  static List<Bad> hugeLengths() {
    String batchHead = "84000101010300" + "04";
    return List.of(
        hex("top-level array32 of 2^32-1", "ddffffffff", "entry"),
        hex("top-level map32 of 2^32-1", "dfffffffff", "entry"),
        hex("top-level map32 of 2^31-1", "df7fffffff" + "0001", "entry"),
        hex("txns array32 of 2^32-1", batchHead + "ddffffffff", "txns"),
        hex("txns array32 of 2^31-1", batchHead + "dd7fffffff" + "80", "txns"),
        hex(
            "payload bin32 of 4 GiB (16 bytes)",
            batchHead + "9181" + "05c6ffffffff",
            "txns[0].payload"),
        hex(
            "payload bin32 of 2 GiB",
            batchHead + "9181" + "05c67fffffff" + "00",
            "txns[0].payload"),
        hex(
            "readSet array32 of 2^31-1",
            batchHead + "9181" + "03dd7fffffff" + "9200",
            "txns[0].readSet"),
        hex(
            "collection str32 of 4 GiB",
            batchHead + "9181" + "0491" + "92dbffffffff",
            "txns[0].writeSet[0]"),
        hex(
            "collection str32 of 2 GiB",
            batchHead + "9181" + "0491" + "92db7fffffff" + "61",
            "txns[0].writeSet[0]"),
        hex(
            "key bin32 of 2 GiB",
            batchHead + "9181" + "0491" + "92a161c67fffffff",
            "txns[0].writeSet[0]"),
        hex(
            "clientTxnId bin32 of 2 GiB",
            batchHead + "9181" + "01c67fffffff",
            "txns[0].clientTxnId"),
        hex("txn map32 of 2^31-1", batchHead + "91" + "df7fffffff" + "0203", "txns[0]"),
        hex("acks array32 of 2^32-1", "830001010205" + "ddffffffff", "acks"),
        hex(
            "unknown field holding bin32 of 2 GiB",
            "85000101010300" + "0490" + "09c67fffffff",
            "entry"),
        hex(
            "unknown field holding str32 of 4 GiB",
            "85000101010300" + "0490" + "09dbffffffff",
            "entry"),
        hex(
            "unknown field holding array32 of 2^31-1",
            "85000101010300" + "0490" + "09dd7fffffff",
            "entry"),
        hex(
            "unknown field holding map32 of 2^31-1",
            "85000101010300" + "0490" + "09df7fffffff",
            "entry"),
        hex(
            "unknown field holding ext32 of 2 GiB",
            "85000101010300" + "0490" + "09c97fffffff01",
            "entry"),
        hex(
            "unknown txn field holding bin32 of 4 GiB",
            batchHead + "9181" + "09c6ffffffff",
            "txns[0]"),
        hex("never-used byte 0xc1", "c1", "entry"),
        hex("never-used byte as a value", "84000101010300" + "04c1", "txns"));
  }

  static List<Bad> structure() {
    byte[] valid = pack(validBatch(validTxn()));
    byte[] trailing = Arrays.copyOf(valid, valid.length + 1);
    byte[] twoEntries = Arrays.copyOf(valid, valid.length * 2);
    System.arraycopy(valid, 0, twoEntries, valid.length, valid.length);
    return List.of(
        new Bad("empty", new byte[0], "entry"),
        new Bad("trailing zero byte", trailing, "entry"),
        new Bad("two entries in one", twoEntries, "entry"),
        new Bad("nil", new byte[] {(byte) 0xc0}, "entry"));
  }

  static List<Bad> all() {
    List<Bad> all = new ArrayList<>();
    all.addAll(wrongTypes());
    all.addAll(wrongValues());
    all.addAll(hugeLengths());
    all.addAll(structure());
    return all;
  }

  private static Bad bad(String name, Object value, String field) {
    return new Bad(name, pack(value), field);
  }

  private static Bad hex(String name, String hex, String field) {
    return new Bad(name, HEX.parseHex(hex), field);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("all")
  void applyCountsAndSkipsIt(Bad bad) {
    ApplyResult r = h.applyRaw(bad.bytes());

    assertThat(r.kind()).isEqualTo(Kind.DECODE_ERROR);
    assertThat(h.counter("sequencer.decode.errors")).isEqualTo(1);
    assertThat(h.sm.lastAppliedIndex()).isEqualTo(1);
    assertThat(h.sm.lastAppliedEpoch()).isEqualTo(-1);
    assertThat(decodeError(r).detail()).contains("offset");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("all")
  void theErrorNamesTheFieldAndAnOffsetInsideTheEntry(Bad bad) {
    CodecException e =
        catchThrowableOfType(CodecException.class, () -> new EntryDecoder().decode(bad.bytes()));

    assertThat(e).as("decoding %s", bad.name()).isNotNull();
    assertThat(e.field()).startsWith(bad.field());
    assertThat(e.offset()).isBetween(0L, (long) bad.bytes().length);
    assertThat(e.getMessage()).startsWith(e.field() + " at offset " + e.offset() + ": ");
  }

  /**
   * The 16-byte entry that declares a 4 GiB payload, and every other huge declaration: decoding
   * must cost about as much as the bytes given, not what they declare.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("hugeLengths")
  void decodingAllocatesAboutTheEntrySizeNotTheDeclaredSize(Bad bad) {
    com.sun.management.ThreadMXBean mx =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    EntryDecoder decoder = new EntryDecoder();
    for (int i = 0; i < 2_000; i++) {
      decodeQuietly(decoder, bad.bytes()); // warm up: JIT, lazily built classes and tables
    }
    int rounds = 50;
    long before = mx.getCurrentThreadAllocatedBytes();
    for (int i = 0; i < rounds; i++) {
      decodeQuietly(decoder, bad.bytes());
    }
    long perDecode = (mx.getCurrentThreadAllocatedBytes() - before) / rounds;

    assertThat(perDecode).as("bytes allocated per decode of %s", bad.name()).isLessThan(256 * 1024);
  }

  @Test
  void theSixteenByteEntryDeclaringFourGibIsSixteenBytes() {
    Bad b = hugeLengths().get(5);
    assertThat(b.bytes()).hasSize(16);
  }

  /**
   * Every key is checked for duplicates, so a map of many distinct large unknown keys must still
   * decode in about linear time (a list scan would take minutes here).
   */
  @Test
  void manyDistinctLargeUnknownKeysAreAcceptedQuickly() throws CodecException {
    int n = 200_000;
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    out.writeBytes(HEX.parseHex("df" + String.format("%08x", n + 3) + "0001" + "0102" + "0590"));
    for (int k = 64; k < 64 + n; k++) {
      out.writeBytes(new byte[] {(byte) 0xce, 0, (byte) (k >>> 16), (byte) (k >>> 8), (byte) k});
      out.write(0xc0);
    }
    byte[] bytes = out.toByteArray();
    byte[] dup = Arrays.copyOf(bytes, bytes.length);
    dup[dup.length - 4] = 0; // the last key, 0x030d7f, becomes 0x000d7f: an earlier one

    long start = System.nanoTime();
    assertThat(new EntryDecoder().decode(bytes))
        .isInstanceOf(org.calvinseq.core.model.AckBatch.class);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new EntryDecoder().decode(dup))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("duplicate field");
    assertThat(System.nanoTime() - start).as("nanos for two decodes").isLessThan(5_000_000_000L);
  }

  /** Deeply nested values in an unknown field must not overflow the stack. */
  @Test
  void deepNestingInAnUnknownFieldIsSkippedWithoutRecursionLimits() {
    int depth = 200_000;
    byte[] head = HEX.parseHex("85000101010300" + "0490" + "09");
    byte[] bytes = Arrays.copyOf(head, head.length + depth + 1);
    Arrays.fill(bytes, head.length, head.length + depth, (byte) 0x91); // [[[[...]]]]
    bytes[bytes.length - 1] = (byte) 0xc0;

    ApplyResult r = h.applyRaw(bytes);

    assertThat(r.kind()).isIn(Kind.APPLIED, Kind.DECODE_ERROR);
    ApplyResult truncated = h.applyRaw(Arrays.copyOf(bytes, bytes.length - 1));
    assertThat(truncated.kind()).isEqualTo(Kind.DECODE_ERROR);
  }

  /** Every strict prefix of a valid entry is invalid, and none throws. */
  @Test
  void everyTruncatedPrefixOfValidEntriesIsADecodeError() {
    LogGenerator gen = new LogGenerator(42, h.router);
    int bad = 0;
    for (LogGenerator.Entry e : gen.generate(60)) {
      if (e.expected() == Kind.DECODE_ERROR) {
        continue;
      }
      for (int len = 0; len < e.bytes().length; len++) {
        ApplyResult r = h.applyRaw(Arrays.copyOf(e.bytes(), len));
        assertThat(r.kind()).as("prefix of %d bytes", len).isEqualTo(Kind.DECODE_ERROR);
        bad++;
      }
    }
    assertThat(h.counter("sequencer.decode.errors")).isEqualTo(bad);
    assertThat(h.sm.lastAppliedEpoch()).isEqualTo(-1);
  }

  /** Noise and mutated valid entries: never an exception; what decodes keeps the invariants. */
  @Test
  void randomAndMutatedBytesNeverThrowAndReplicasAgree() {
    SplittableRandom rnd = new SplittableRandom(7);
    LogGenerator gen = new LogGenerator(8, h.router);
    List<byte[]> log = new ArrayList<>();
    for (int i = 0; i < 3_000; i++) {
      byte[] b;
      if (i % 3 == 0) {
        b = new byte[rnd.nextInt(40)];
        rnd.nextBytes(b);
      } else {
        b = gen.next().bytes().clone();
        int flips = 1 + rnd.nextInt(3);
        for (int f = 0; f < flips && b.length > 0; f++) {
          int at = rnd.nextInt(b.length);
          b[at] =
              rnd.nextInt(3) == 0
                  ? (byte) rnd.nextInt(256)
                  : (byte) (b[at] ^ (1 << rnd.nextInt(8)));
        }
      }
      log.add(b);
    }
    Harness a = validation.track(Harness.builder().build());
    Harness b = validation.track(Harness.builder().build());
    for (byte[] bytes : log) {
      assertThatCode(() -> a.applyRaw(bytes)).doesNotThrowAnyException();
      ApplyResult ra = a.sm.apply(a.nextIndex() - 1, bytes);
      assertThat(ra.kind()).isEqualTo(Kind.ALREADY_APPLIED);
      b.applyRaw(bytes);
      Invariants.check(a.sm);
    }
    assertThat(a.sm.snapshot()).isEqualTo(b.sm.snapshot());
    assertThat(a.counter("sequencer.decode.errors")).isGreaterThan(1_000);
    assertThat(a.counter("sequencer.epochs.applied")).isGreaterThan(100);
  }

  private static void decodeQuietly(EntryDecoder d, byte[] bytes) {
    try {
      d.decode(bytes);
      throw new AssertionError("decoded a hostile entry");
    } catch (CodecException expected) {
      // the point
    }
  }
}
