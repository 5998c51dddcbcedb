package org.calvinseq.core.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.calvinseq.core.apply.ApplyResult;
import org.calvinseq.core.model.AckBatch;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.CompletionAck;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.NotSequenced;
import org.calvinseq.core.model.SequencerEntry;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.core.protocol.Protocol;
import org.calvinseq.core.protocol.SubmissionStream;
import org.calvinseq.core.routing.CollectionHashRouter;
import org.calvinseq.core.routing.Participants;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Keeps {@code docs/wire-format.md} and the codec in step: every test vector on the page must
 * decode to the value built here and re-encode to the same bytes, its byte-by-byte table must add
 * up to its hex, every rejected entry must be rejected at the field the page names, and every
 * routing example must match the router. A vector the page lacks, or one this test does not know,
 * fails the test.
 *
 * <p>When the format changes: change the values below, regenerate the hex with {@link
 * EntryEncoder}, and update the page's tables by hand; this test tells which bytes disagree.
 */
class WireFormatDocTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final Pattern HEADING = Pattern.compile("^#{1,6} .*");
  private static final Pattern CASE_HEADING =
      Pattern.compile("^#{3,4} (Vector|Accept|Reject|Receipt|Submit|Stream) ([ACRST]?\\d+): (.+)$");
  private static final Pattern TABLE_ROW = Pattern.compile("^\\| (\\d+) \\| `([0-9a-f ]+)` \\|.*");
  private static final Pattern REJECTED_AT = Pattern.compile("Rejected at field `([^`]+)`");
  private static final Pattern DECODES_TO =
      Pattern.compile("Decodes to the value of Vector (\\d+)");
  private static final Pattern RECEIPT_DECODES_TO =
      Pattern.compile("Decodes to the value of Receipt (C\\d+)");

  /** The values of the canonical vectors, by number. */
  private static final Map<String, SequencerEntry> VECTORS =
      Map.of(
          "1",
          vector1(),
          "2",
          vector2(),
          "3",
          vector3(),
          "4",
          vector4(),
          "5",
          vector5(),
          "6",
          new org.calvinseq.core.model.ClusterInit(1024, "calvinseq", 3),
          "7",
          new org.calvinseq.core.model.ClusterInit(1024, "calvinseq", 1),
          "8",
          vector8());

  /** The vectors that are grouped batches (section 3a). */
  private static final java.util.Set<String> GROUPED = java.util.Set.of("8");

  /** The rejected entries and the field the decoder must report. */
  private static final Map<String, String> REJECTS =
      Map.ofEntries(
          Map.entry("R1", "txns[0].readSet[1]"),
          Map.entry("R2", "txns[0].tenant"),
          Map.entry("R3", "txns[0].readSet[0].collection"),
          Map.entry("R4", "entry"),
          Map.entry("R5", "version"),
          Map.entry("R6", "entry"),
          Map.entry("R7", "acks[0]"),
          Map.entry("R8", "entry"),
          Map.entry("R9", "version"),
          Map.entry("R10", "groups[1]"),
          Map.entry("R11", "txns[0].clientTxnId"));

  /** The rejected entries the page says are read where grouped batches are read. */
  private static final java.util.Set<String> READ_GROUPED = java.util.Set.of("R10", "R11");

  private static final List<String> ACCEPTS = List.of("A1");

  /** The receipt vectors (section 13): canonical values, accepted variants, rejected ones. */
  private static final Map<String, BatchReceipt> RECEIPTS =
      Map.of(
          "C1", new BatchReceipt(ApplyResult.Kind.APPLIED, 17, 42, 1_700_000_000_123L, 2, -1),
          "C2", new BatchReceipt(ApplyResult.Kind.STALE, 70_000, 7, -1, 1, 300),
          "C3",
              new BatchReceipt(
                  ApplyResult.Kind.APPLIED,
                  18,
                  43,
                  1_700_000_000_124L,
                  3,
                  -1,
                  List.of(NotSequenced.duplicate(0, new TxnId(42, 1)), NotSequenced.tooOld(2))));

  private static final List<String> RECEIPT_ACCEPTS = List.of("A1", "A2", "A3");

  private static final Map<String, String> RECEIPT_REJECTS =
      Map.of(
          "R1", "receipt.version",
          "R2", "receipt.notSequenced",
          "R3", "receipt.notSequenced");

  /** The submission vectors (section 14a): the query, an accepted and a refused answer. */
  private static final Map<String, byte[]> SUBMITS =
      Map.of(
          "S1", Protocol.submitQuery(EntryEncoder.encode(vector1())),
          "S2",
              Protocol.encodeSubmitReply(
                  new Protocol.Submitted(
                      new BatchReceipt(ApplyResult.Kind.APPLIED, 17, 42, 1_700_000_000_123L, 2, -1),
                      1,
                      1)),
          "S3",
              Protocol.encodeSubmitReply(
                  new Protocol.SubmitRefused(
                      "TENANT_SHARE_TXNS", true, 7, true, 10, "inbox full for tenant 7")),
          "S4",
              Protocol.encodeSubmitReply(
                  new Protocol.SubmitRefused(
                      "NOT_LEADER",
                      true,
                      -1,
                      false,
                      0,
                      "node n1 is not the leader; the leader is n2",
                      "n2")));

  /** The submission stream's vectors (section 14b): a submission and its answer. */
  private static final Map<String, byte[]> STREAM =
      Map.of(
          "T1", SubmissionStream.submission(1, EntryEncoder.encode(vector1())),
          "T2",
              SubmissionStream.encodeAnswer(
                  1,
                  new Protocol.Submitted(
                      new BatchReceipt(ApplyResult.Kind.APPLIED, 17, 42, 1_700_000_000_123L, 2, -1),
                      1,
                      1)));

  private static final Map<String, Section> SECTIONS = parse(read(locateDoc()));

  // ---- the expected values ----

  private static EpochBatch vector1() {
    return EpochBatch.auto(
        1_700_000_000_000L,
        List.of(
            new Txn(
                null,
                7,
                List.of(Key.of("accounts", "alice")),
                List.of(Key.of("accounts", "alice")),
                bytes(0xCA, 0xFE))));
  }

  private static EpochBatch vector2() {
    List<Key> accounts = List.of(Key.of("accounts", "alice"), Key.of("accounts", "bob"));
    Key order = new Key("orders", bytes(0, 0, 0, 1));
    return new EpochBatch(
        42,
        1_700_000_000_123L,
        List.of(
            new Txn(
                new ClientTxnId(0x0102030405060708L, 9),
                1,
                accounts,
                accounts,
                "transfer 10".getBytes(StandardCharsets.US_ASCII)),
            new Txn(
                new ClientTxnId(0x0102030405060708L, 10),
                300,
                List.of(order),
                List.of(Key.of("audit", "o1"), order),
                new byte[0])));
  }

  private static EpochBatch vector8() {
    ClientTxnId first = new ClientTxnId(0x0102030405060708L, 9);
    return EpochBatch.auto(
        1_700_000_000_000L,
        List.of(
            new Txn(first, 1, List.of(), List.of(new Key("a", bytes(1))), new byte[0]),
            new Txn(
                new ClientTxnId(first.clientId(), 10),
                1,
                List.of(),
                List.of(new Key("a", bytes(2))),
                new byte[0]),
            new Txn(null, 2, List.of(), List.of(new Key("a", bytes(3))), new byte[0])));
  }

  private static AckBatch vector3() {
    return new AckBatch(
        List.of(
            new CompletionAck(new TxnId(42, 0), 765, 1),
            new CompletionAck(new TxnId(42, 1), 680, 2)));
  }

  private static EpochBatch vector4() {
    // Given out of order on purpose: the model sorts, and the page shows the sorted bytes.
    List<Key> reads =
        List.of(
            new Key("日本", bytes(1)),
            new Key("apple", bytes(0x80)),
            new Key("café", bytes(1)),
            new Key("apple", bytes(0x61, 0x00)),
            new Key("Zebra", new byte[0]),
            new Key("apple", bytes(0x61)));
    List<Key> writes = List.of(new Key("\uD83D\uDE00", bytes(1)), new Key("\uFF66", bytes(1)));
    return new EpochBatch(
        70_000, 1_700_000_000_000L, List.of(new Txn(null, -1L, reads, writes, new byte[0])));
  }

  private static EpochBatch vector5() {
    return new EpochBatch(Long.MAX_VALUE, 1_700_000_000_000L, List.of());
  }

  // ---- tests ----

  /** Vector 5 decodes, and applying it is out of range: it takes no epoch (section 9). */
  @Test
  void vector5IsSkippedAsOutOfRangeAndTheNextBatchTakesEpochZero() {
    byte[] bytes = section("Vector 5").hex();
    org.calvinseq.core.apply.EpochStateMachine sm =
        org.calvinseq.core.apply.EpochStateMachine.builder().build();
    assertThat(sm.apply(1, bytes).kind())
        .isEqualTo(org.calvinseq.core.apply.ApplyResult.Kind.OUT_OF_RANGE);
    assertThat(sm.nextEpoch()).isZero();
    org.calvinseq.core.apply.ApplyResult next =
        sm.apply(2, EntryEncoder.encode(EpochBatch.auto(1_700_000_000_001L, List.of())));
    assertThat(next.kind()).isEqualTo(org.calvinseq.core.apply.ApplyResult.Kind.APPLIED);
    assertThat(((org.calvinseq.core.apply.ApplyResult.Sequenced) next).epoch()).isZero();
  }

  /** The protocol constants in the table of section 9 are the code's. */
  @Test
  void protocolConstantsTableMatchesTheCode() {
    String doc = read(locateDoc());
    assertThat(doc)
        .contains("| `MAX_EPOCH_GAP` | 1,000,000,000 |")
        .contains("| `MAX_EPOCH` | 2^63−2 = " + WireFormat.MAX_EPOCH + " |")
        .contains("| `MAX_EPOCH_MS_STEP` | 3,600,000 (one hour) |")
        .contains(
            "| `MAX_PROPOSER_MS` | "
                + WireFormat.MAX_PROPOSER_MS
                + " (9999-12-31T23:59:59.999Z) |");
    assertThat(doc)
        .contains("| `DEDUPE_WINDOW_RUNS` | " + WireFormat.DEDUPE_WINDOW_RUNS + " |")
        .contains("| `DEDUPE_MAX_CLIENTS` | 16,384 |")
        .contains("| `DEDUPE_CLIENT_EXPIRY_MS` | 86,400,000 (24 hours) |");
    assertThat(WireFormat.RULES_VERSION)
        .as("Vector 6 shows what this version's leaders write")
        .isEqualTo(
            VECTORS.get("6") instanceof org.calvinseq.core.model.ClusterInit c
                ? c.rulesVersion()
                : -1);
    assertThat(new org.calvinseq.core.model.ClusterInit(1024, "calvinseq"))
        .isEqualTo(VECTORS.get("6"));
    assertThat(WireFormat.DEDUPE_MAX_CLIENTS).isEqualTo(16_384);
    assertThat(java.time.Duration.ofMillis(WireFormat.DEDUPE_CLIENT_EXPIRY_MS))
        .isEqualTo(java.time.Duration.ofHours(24));
    assertThat(WireFormat.MAX_EPOCH_GAP).isEqualTo(1_000_000_000L);
    assertThat(WireFormat.MAX_EPOCH_MS_STEP).isEqualTo(3_600_000L);
    assertThat(java.time.Instant.ofEpochMilli(WireFormat.MAX_PROPOSER_MS).toString())
        .isEqualTo("9999-12-31T23:59:59.999Z");
  }

  @Test
  void pageHasExactlyTheKnownVectors() {
    List<String> expected = new ArrayList<>();
    VECTORS.keySet().forEach(id -> expected.add("Vector " + id));
    ACCEPTS.forEach(id -> expected.add("Accept " + id));
    REJECTS.keySet().forEach(id -> expected.add("Reject " + id));
    RECEIPTS.keySet().forEach(id -> expected.add("Receipt " + id));
    RECEIPT_ACCEPTS.forEach(id -> expected.add("Receipt " + id));
    RECEIPT_REJECTS.keySet().forEach(id -> expected.add("Receipt " + id));
    SUBMITS.keySet().forEach(id -> expected.add("Submit " + id));
    STREAM.keySet().forEach(id -> expected.add("Stream " + id));
    assertThat(SECTIONS.keySet())
        .as("test vectors on docs/wire-format.md")
        .containsExactlyInAnyOrderElementsOf(expected);
  }

  @TestFactory
  Stream<DynamicTest> canonicalVectorsDecodeAndReEncode() {
    return VECTORS.entrySet().stream()
        .map(
            e ->
                DynamicTest.dynamicTest(
                    "Vector " + e.getKey(),
                    () -> {
                      Section s = section("Vector " + e.getKey());
                      byte[] bytes = s.hex();
                      boolean grouped = GROUPED.contains(e.getKey());
                      SequencerEntry decoded =
                          new EntryDecoder().readGrouped(grouped).decode(bytes);
                      assertThat(decoded).isEqualTo(e.getValue());
                      assertThat(
                              HEX.formatHex(
                                  grouped
                                      ? EntryEncoder.encodeGrouped((EpochBatch) e.getValue())
                                      : EntryEncoder.encode(e.getValue())))
                          .isEqualTo(HEX.formatHex(bytes));
                      assertThat(
                              new EntryDecoder()
                                  .readGrouped(grouped)
                                  .decode(ByteBuffer.wrap(bytes).asReadOnlyBuffer()))
                          .isEqualTo(e.getValue());
                      assertThat(HEX.formatHex(s.tableBytes()))
                          .as("the byte-by-byte table of Vector %s", e.getKey())
                          .isEqualTo(HEX.formatHex(bytes));
                    }));
  }

  @TestFactory
  Stream<DynamicTest> acceptedVectorsDecodeToTheirCanonicalValue() {
    return ACCEPTS.stream()
        .map(
            id ->
                DynamicTest.dynamicTest(
                    "Accept " + id,
                    () -> {
                      Section s = section("Accept " + id);
                      Matcher m = DECODES_TO.matcher(s.body());
                      assertThat(m.find())
                          .as("'Decodes to the value of Vector N' in " + id)
                          .isTrue();
                      Section canonical = section("Vector " + m.group(1));
                      SequencerEntry decoded = new EntryDecoder().decode(s.hex());
                      assertThat(decoded).isEqualTo(VECTORS.get(m.group(1)));
                      assertThat(s.hex()).isNotEqualTo(canonical.hex());
                      assertThat(EntryEncoder.encode(decoded)).isEqualTo(canonical.hex());
                    }));
  }

  @TestFactory
  Stream<DynamicTest> rejectedEntriesFailAtTheDocumentedField() {
    return REJECTS.entrySet().stream()
        .map(
            e ->
                DynamicTest.dynamicTest(
                    "Reject " + e.getKey(),
                    () -> {
                      Section s = section("Reject " + e.getKey());
                      Matcher m = REJECTED_AT.matcher(s.body());
                      assertThat(m.find()).as("'Rejected at field' in " + e.getKey()).isTrue();
                      assertThat(m.group(1)).isEqualTo(e.getValue());
                      EntryDecoder decoder =
                          new EntryDecoder().readGrouped(READ_GROUPED.contains(e.getKey()));
                      assertThatThrownBy(() -> decoder.decode(s.hex()))
                          .isInstanceOfSatisfying(
                              CodecException.class,
                              c -> assertThat(c.field()).isEqualTo(e.getValue()));
                    }));
  }

  @TestFactory
  Stream<DynamicTest> submitVectorsAreTheEncodersBytesAndDecode() {
    return SUBMITS.entrySet().stream()
        .map(
            e ->
                DynamicTest.dynamicTest(
                    "Submit " + e.getKey(),
                    () -> {
                      Section s = section("Submit " + e.getKey());
                      byte[] bytes = s.hex();
                      assertThat(HEX.formatHex(e.getValue())).isEqualTo(HEX.formatHex(bytes));
                      assertThat(HEX.formatHex(s.tableBytes()))
                          .as("the byte-by-byte table of Submit %s", e.getKey())
                          .isEqualTo(HEX.formatHex(bytes));
                      if (e.getKey().equals("S1")) {
                        var q = (Protocol.SubmitQ) Protocol.decodeQuery(ByteBuffer.wrap(bytes));
                        assertThat(new EntryDecoder().decode(q.batchEntry())).isEqualTo(vector1());
                      } else {
                        assertThat(
                                Protocol.encodeSubmitReply(
                                    Protocol.decodeSubmitReply(ByteBuffer.wrap(bytes))))
                            .isEqualTo(bytes);
                      }
                    }));
  }

  @TestFactory
  Stream<DynamicTest> streamVectorsAreTheEncodersBytesAndDecode() {
    return STREAM.entrySet().stream()
        .map(
            e ->
                DynamicTest.dynamicTest(
                    "Stream " + e.getKey(),
                    () -> {
                      Section s = section("Stream " + e.getKey());
                      byte[] bytes = s.hex();
                      assertThat(HEX.formatHex(e.getValue())).isEqualTo(HEX.formatHex(bytes));
                      assertThat(HEX.formatHex(s.tableBytes()))
                          .as("the byte-by-byte table of Stream %s", e.getKey())
                          .isEqualTo(HEX.formatHex(bytes));
                      if (e.getKey().equals("T1")) {
                        var sub = SubmissionStream.decodeSubmission(ByteBuffer.wrap(bytes));
                        assertThat(sub.requestId()).isEqualTo(1);
                        assertThat(new EntryDecoder().decode(sub.batchEntry()))
                            .isEqualTo(vector1());
                      } else {
                        var a = SubmissionStream.decodeAnswer(ByteBuffer.wrap(bytes));
                        assertThat(SubmissionStream.encodeAnswer(a.requestId(), a.reply()))
                            .isEqualTo(bytes);
                      }
                    }));
  }

  @TestFactory
  Stream<DynamicTest> receiptVectorsDecodeAndReEncode() {
    return RECEIPTS.entrySet().stream()
        .map(
            e ->
                DynamicTest.dynamicTest(
                    "Receipt " + e.getKey(),
                    () -> {
                      Section s = section("Receipt " + e.getKey());
                      byte[] bytes = s.hex();
                      assertThat(Protocol.decodeReceipt(ByteBuffer.wrap(bytes)))
                          .isEqualTo(e.getValue());
                      assertThat(HEX.formatHex(Protocol.encodeReceipt(e.getValue())))
                          .isEqualTo(HEX.formatHex(bytes));
                      assertThat(HEX.formatHex(s.tableBytes()))
                          .as("the byte-by-byte table of Receipt %s", e.getKey())
                          .isEqualTo(HEX.formatHex(bytes));
                    }));
  }

  @TestFactory
  Stream<DynamicTest> acceptedReceiptsDecodeToTheirCanonicalValue() {
    return RECEIPT_ACCEPTS.stream()
        .map(
            id ->
                DynamicTest.dynamicTest(
                    "Receipt " + id,
                    () -> {
                      Section s = section("Receipt " + id);
                      Matcher m = RECEIPT_DECODES_TO.matcher(s.body());
                      assertThat(m.find())
                          .as("'Decodes to the value of Receipt CN' in " + id)
                          .isTrue();
                      BatchReceipt decoded = Protocol.decodeReceipt(ByteBuffer.wrap(s.hex()));
                      assertThat(decoded).isEqualTo(RECEIPTS.get(m.group(1)));
                      assertThat(Protocol.encodeReceipt(decoded))
                          .isEqualTo(section("Receipt " + m.group(1)).hex())
                          .isNotEqualTo(s.hex());
                    }));
  }

  @TestFactory
  Stream<DynamicTest> rejectedReceiptsFailAtTheDocumentedField() {
    return RECEIPT_REJECTS.entrySet().stream()
        .map(
            e ->
                DynamicTest.dynamicTest(
                    "Receipt " + e.getKey(),
                    () -> {
                      Section s = section("Receipt " + e.getKey());
                      Matcher m = REJECTED_AT.matcher(s.body());
                      assertThat(m.find()).as("'Rejected at field' in " + e.getKey()).isTrue();
                      assertThat(m.group(1)).isEqualTo(e.getValue());
                      assertThatThrownBy(() -> Protocol.decodeReceipt(ByteBuffer.wrap(s.hex())))
                          .isInstanceOfSatisfying(
                              CodecException.class,
                              c -> assertThat(c.field()).isEqualTo(e.getValue()));
                    }));
  }

  @Test
  void routingExamplesMatchTheRouter() {
    String doc = read(locateDoc());
    int from = doc.indexOf("<!-- routing-examples:begin -->");
    int to = doc.indexOf("<!-- routing-examples:end -->");
    assertThat(from).as("routing-examples markers").isNotNegative().isLessThan(to);
    Pattern row =
        Pattern.compile(
            "^\\| `([^`]+)` \\| `([0-9a-f ]+)` \\| `0x([0-9A-F]{8})` \\| (\\d+) \\| (\\d+) \\| (\\d+) \\|$");
    int rows = 0;
    for (String line : doc.substring(from, to).split("\n")) {
      Matcher m = row.matcher(line.strip());
      if (!m.matches()) {
        continue;
      }
      rows++;
      String collection = m.group(1);
      int hash = CollectionHashRouter.fnv1a32Utf8(collection);
      CollectionHashRouter router = new CollectionHashRouter(Integer.parseInt(m.group(5)));
      assertThat(m.group(2).replace(" ", ""))
          .isEqualTo(HEX.formatHex(collection.getBytes(StandardCharsets.UTF_8)));
      assertThat(m.group(3)).isEqualTo(String.format("%08X", hash));
      assertThat(Long.parseLong(m.group(4))).isEqualTo(Integer.toUnsignedLong(hash));
      assertThat(router.vshardOfCollection(collection)).isEqualTo(Integer.parseInt(m.group(6)));
      assertThat(router.vshardOf(new Key(collection, bytes(1, 2, 3))))
          .isEqualTo(Integer.parseInt(m.group(6)));
    }
    assertThat(rows).as("routing example rows").isGreaterThanOrEqualTo(3);
  }

  @Test
  void vector2ParticipantsAreAsDocumented() {
    CollectionHashRouter router = new CollectionHashRouter();
    List<Txn> txns = vector2().txns();
    assertThat(Participants.of(txns.get(0), router)).containsExactly(765);
    assertThat(Participants.of(txns.get(1), router)).containsExactly(680, 748);
  }

  // ---- reading the page ----

  /** One test case of the page: its heading and the text up to the next heading. */
  private record Section(String name, String body) {
    byte[] hex() {
      int start = body.indexOf("```hex\n");
      if (start < 0) {
        fail("no ```hex block under " + name);
      }
      int end = body.indexOf("```", start + 7);
      if (body.indexOf("```hex\n", end) >= 0) {
        fail("more than one ```hex block under " + name);
      }
      return HEX.parseHex(body.substring(start + 7, end).replaceAll("\\s+", ""));
    }

    /** The concatenated "Bytes" column of the breakdown table, checking each row's offset. */
    byte[] tableBytes() {
      StringBuilder all = new StringBuilder();
      for (String line : body.split("\n")) {
        Matcher m = TABLE_ROW.matcher(line);
        if (m.matches()) {
          assertThat(Integer.parseInt(m.group(1)))
              .as("offset column of %s at %s", name, line)
              .isEqualTo(all.length() / 2);
          all.append(m.group(2).replace(" ", ""));
        }
      }
      assertThat(all).as("breakdown table of " + name).isNotEmpty();
      return HEX.parseHex(all);
    }
  }

  private static Section section(String name) {
    Section s = SECTIONS.get(name);
    if (s == null) {
      fail("docs/wire-format.md has no section '" + name + "'");
    }
    return s;
  }

  private static Map<String, Section> parse(String doc) {
    Map<String, Section> sections = new LinkedHashMap<>();
    String name = null;
    StringBuilder body = new StringBuilder();
    for (String line : (doc + "\n# end\n").split("\n", -1)) {
      if (HEADING.matcher(line).matches()) {
        if (name != null && sections.put(name, new Section(name, body.toString())) != null) {
          fail("docs/wire-format.md has two sections '" + name + "'");
        }
        Matcher m = CASE_HEADING.matcher(line);
        name = m.matches() ? m.group(1) + " " + m.group(2) : null;
        body.setLength(0);
      } else {
        body.append(line).append('\n');
      }
    }
    return sections;
  }

  /**
   * The page, found from the working directory: Maven runs a module's tests in the module
   * directory, IDEs often in the repository root.
   */
  private static Path locateDoc() {
    Path dir = Path.of("").toAbsolutePath();
    for (int i = 0; i < 4 && dir != null; i++, dir = dir.getParent()) {
      Path p = dir.resolve("docs").resolve("wire-format.md");
      if (Files.isRegularFile(p)) {
        return p;
      }
    }
    throw new IllegalStateException(
        "docs/wire-format.md not found above " + Path.of("").toAbsolutePath());
  }

  private static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.UTF_8).replace("\r\n", "\n");
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + p, e);
    }
  }

  private static byte[] bytes(int... values) {
    byte[] b = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      b[i] = (byte) values[i];
    }
    return b;
  }
}
