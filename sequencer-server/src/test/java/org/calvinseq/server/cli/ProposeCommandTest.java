package org.calvinseq.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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

  @Test
  void aValidFileGoesOnToTheClusterAndFailsAsUnavailableThere() throws IOException {
    CliRun r = propose(GOOD, "", GOOD);
    assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
    assertThat(r.err()).contains("line 1:").contains("line 3:").contains("unavailable");
  }
}
