package org.calvinseq.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.calvinseq.core.apply.ApplyResult;
import org.calvinseq.core.protocol.BatchReceipt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input files: the command names the line and the problem, exits 2 and proposes nothing (the
 * peers here do not exist, so a proposal would fail with another message and exit 1).
 */
class ProposeCommandTest {
  private static final String PEERS = "n1@127.0.0.1:1,n2@127.0.0.1:2,n3@127.0.0.1:3";
  private static final String GOOD =
      "{\"txns\": [{\"tenant\": 1, \"write\": [{\"collection\": \"c\", \"key\": \"k\"}],"
          + " \"payload\": \"hi\"}]}";

  @TempDir Path dir;

  private CliRun propose(String... lines) throws IOException {
    return propose(List.of(), lines);
  }

  private CliRun propose(List<String> extra, String... lines) throws IOException {
    Path f = dir.resolve("batches.jsonl");
    Files.write(f, List.of(lines), StandardCharsets.UTF_8);
    List<String> args =
        new java.util.ArrayList<>(
            List.of("propose", "--peers", PEERS, "--timeout", "2s", "--file", f.toString()));
    args.addAll(extra);
    return CliRun.of(args.toArray(String[]::new));
  }

  private static void badInput(CliRun r, String... fragments) {
    assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
    assertThat(r.out()).as("no receipts printed").isEmpty();
    assertThat(r.err()).startsWith("error: ");
    for (String f : fragments) {
      assertThat(r.err()).contains(f);
    }
  }

  @Test
  void malformedJsonNamesTheLineAndColumn() throws IOException {
    badInput(
        propose(GOOD, "{\"txns\": [{\"tenant\": 1,, }]}", GOOD),
        "batches.jsonl line 2:",
        "malformed JSON at column");
  }

  @Test
  void trailingGarbageAndNonObjectsAreMalformed() throws IOException {
    badInput(propose(GOOD + " {}"), "line 1:", "malformed JSON");
    badInput(propose("[1, 2]"), "line 1:", "expected a JSON object");
  }

  @Test
  void unknownFieldsAreNamedWithTheirPath() throws IOException {
    badInput(
        propose(GOOD, GOOD, "{\"txns\": [{\"write\": [{\"colection\": \"c\", \"key\": \"k\"}]}]}"),
        "line 3:",
        "txns[0].write[0]: unknown field 'colection'",
        "allowed: collection, key, keyBase64");
    badInput(propose("{\"txns\": [], \"epoc\": 3}"), "line 1:", "unknown field 'epoc'");
    badInput(
        propose("{\"txns\": [{\"tenant\": 1, \"paylod\": \"x\"}]}"),
        "txns[0]: unknown field 'paylod'");
  }

  @Test
  void oversizedBatchIsRefusedBeforeAnythingIsProposed() throws IOException {
    String big =
        "{\"txns\": [{\"write\": [{\"collection\": \"c\", \"key\": \"k\"}], \"payload\": \""
            + "x".repeat(5000)
            + "\"}]}";
    badInput(
        propose(List.of("--max-batch-bytes", "4096"), GOOD, big),
        "line 2:",
        "bytes, over the limit of 4096");
  }

  @Test
  void badValuesAreNamed() throws IOException {
    badInput(
        propose(
            "{\"txns\": [{\"clientId\": 1, \"write\": [{\"collection\": \"c\", \"key\": \"k\"}]}]}"),
        "txns[0]: 'clientId' and 'seq' go together");
    badInput(
        propose(
            "{\"txns\": [{\"tenant\": -1, \"write\": [{\"collection\": \"c\", \"key\": \"k\"}]}]}"),
        "txns[0].tenant: -1 is out of range");
    badInput(
        propose("{\"txns\": [{\"tenant\": \"one\"}]}"), "txns[0].tenant: expected a non-negative");
    badInput(propose("{\"txns\": [{\"tenant\": 1.5}]}"), "txns[0].tenant: expected a non-negative");
    badInput(
        propose(
            "{\"txns\": [{\"write\": [{\"collection\": \"c\", \"key\": \"k\"}],"
                + " \"payload\": \"a\", \"payloadBase64\": \"YQ==\"}]}"),
        "give 'payload' or 'payloadBase64', not both");
    badInput(
        propose("{\"txns\": [{\"write\": [{\"collection\": \"c\", \"keyBase64\": \"***\"}]}]}"),
        "txns[0].write[0].keyBase64: not valid base64");
    badInput(propose("{\"txns\": [{\"tenant\": 1}]}"), "line 1:", "has no keys");
    badInput(propose("{\"epoch\": 1.5, \"txns\": []}"), "epoch: expected a non-negative integer");
    badInput(propose("{\"txns\": [], \"txns\": []}"), "line 1:", "Duplicate field 'txns'");
    badInput(propose("{\"epoch\": 2}"), "'txns' is required");
  }

  @Test
  void emptyOrMissingFilesAreBadInput() throws IOException {
    badInput(propose("", "  "), "no batches");
    CliRun r =
        CliRun.of("propose", "--peers", PEERS, "--file", dir.resolve("nope.jsonl").toString());
    badInput(r, "nope.jsonl: no such file");
  }

  private CliRun proposeBytes(byte[] content, String... extra) throws IOException {
    Path f = dir.resolve("bytes.jsonl");
    Files.write(f, content);
    List<String> args =
        new java.util.ArrayList<>(
            List.of("propose", "--peers", PEERS, "--timeout", "2s", "--file", f.toString()));
    args.addAll(List.of(extra));
    return CliRun.of(args.toArray(String[]::new));
  }

  private static byte[] concat(byte[]... parts) {
    java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
    for (byte[] p : parts) {
      b.writeBytes(p);
    }
    return b.toByteArray();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** {@code GOOD} with one invalid UTF-8 byte (0xff) in its payload, after "hi". */
  private static byte[] invalidUtf8Line() {
    String[] parts = GOOD.split("hi");
    return concat(utf8(parts[0] + "hi"), new byte[] {(byte) 0xff}, utf8(parts[1]));
  }

  @Test
  void invalidUtf8InAFileIsNamedWithItsLineAndByteOffset() throws IOException {
    byte[] first = utf8(GOOD + "\n");
    CliRun r = proposeBytes(concat(first, invalidUtf8Line(), utf8("\n")));
    int column = GOOD.indexOf("hi") + 2;
    badInput(
        r,
        "bytes.jsonl line 2: invalid UTF-8 at byte " + (column + 1) + " of the line",
        "byte offset " + (first.length + column) + " of the input");
  }

  @Test
  void invalidUtf8OnStandardInputIsRefusedToo() {
    java.io.InputStream stdin = System.in;
    try {
      System.setIn(new java.io.ByteArrayInputStream(concat(invalidUtf8Line(), utf8("\n"))));
      CliRun r = CliRun.of("propose", "--peers", PEERS, "--timeout", "2s", "--file", "-");
      badInput(r, "<stdin> line 1: invalid UTF-8 at byte", "byte offset");
    } finally {
      System.setIn(stdin);
    }
  }

  @Test
  void aLineWithoutEndIsCutAtABoundInsteadOfFillingTheHeap() throws IOException {
    // What /dev/zero gives, scaled down: 16 x --max-batch-bytes bytes read, then refused.
    CliRun r = proposeBytes(new byte[70_000], "--max-batch-bytes", "4096");
    badInput(r, "bytes.jsonl line 1: longer than 65536 bytes", "--max-batch-bytes 4096");
  }

  @Test
  void aDirectoryIsNamed() {
    CliRun r = CliRun.of("propose", "--peers", PEERS, "--file", dir.toString());
    badInput(r, dir + ": is a directory");
  }

  @Test
  void anOversizedPayloadIsRefusedByThePayloadLimitWithItsNumbers() throws IOException {
    // Over Jackson's own string limit (20,000,000 chars), which must not be what answers.
    int size = 21_000_000;
    String line =
        "{\"txns\": [{\"write\": [{\"collection\": \"c\", \"key\": \"k\"}], \"payload\": \""
            + "x".repeat(size)
            + "\"}]}";
    badInput(
        propose(line), "line 1: txns[0] payload is " + size + " bytes, over the limit of 1048576");
  }

  @Test
  void aRaisedBatchLimitIsTheClientsLimitToo() throws IOException {
    // 5 txns of 1,000,000 payload bytes: over the default 4 MiB, within --max-batch-bytes 8 MiB.
    String txn =
        "{\"write\": [{\"collection\": \"c\", \"key\": \"k\"}], \"payload\": \""
            + "x".repeat(1_000_000)
            + "\"}";
    String line = "{\"txns\": [" + String.join(", ", java.util.Collections.nCopies(5, txn)) + "]}";
    CliRun r = propose(List.of("--max-batch-bytes", Integer.toString(8 << 20)), line);
    assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
    assertThat(r.err()).contains("line 1:").contains("unavailable").doesNotContain("not sent");
  }

  @Test
  void aValidFileGoesOnToTheClusterAndFailsAsUnavailableThere() throws IOException {
    CliRun r = propose(GOOD, "", GOOD);
    assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
    assertThat(r.err()).contains("line 1:").contains("line 3:").contains("unavailable");
  }

  /** Issue 10: a committed batch that took no epoch must not let {@code propose} exit 0. */
  @Test
  void receiptsThatDidNotSequenceTheBatchAreProblemsAndSayWhy() {
    assertThat(ProposeCommand.notSequenced(receipt(ApplyResult.Kind.APPLIED, 3, -1))).isNull();
    assertThat(ProposeCommand.notSequenced(receipt(ApplyResult.Kind.GAP, 9, 4)))
        .as("a gap sequenced the batch at the epoch it named")
        .isNull();
    assertThat(
            ProposeCommand.notSequenced(
                receipt(ApplyResult.Kind.OUT_OF_RANGE, Long.MAX_VALUE - 1, 1)))
        .contains("log index 12")
        .contains("OUT_OF_RANGE")
        .contains("epoch 9223372036854775806")
        .contains("next epoch 1");
    assertThat(ProposeCommand.notSequenced(receipt(ApplyResult.Kind.DECODE_ERROR, -1, -1)))
        .contains("DECODE_ERROR")
        .contains("could not decode");
    assertThat(ProposeCommand.notSequenced(receipt(ApplyResult.Kind.STALE, 2, 5)))
        .contains("STALE")
        .contains("below the next epoch 5");
    assertThat(ProposeCommand.notSequenced(receipt(ApplyResult.Kind.ACKS, -1, -1)))
        .contains("ACKS");
  }

  private static BatchReceipt receipt(ApplyResult.Kind kind, long epoch, long expected) {
    return new BatchReceipt(kind, 12, epoch, -1, 1, expected);
  }
}
