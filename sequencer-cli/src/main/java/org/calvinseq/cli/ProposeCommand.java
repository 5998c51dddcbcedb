package org.calvinseq.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.calvinseq.client.SequencerClient;
import org.calvinseq.core.codec.EntryEncoder;
import org.calvinseq.core.codec.ProposalLimits;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.protocol.BatchReceipt;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sequencer propose}: proposes the batches of a JSON-lines file, pipelined, and prints one
 * receipt per batch in file order. The whole file is checked before anything is proposed, so a bad
 * line never leaves the file half proposed.
 */
@Command(
    name = "propose",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    versionProvider = SequencerCli.Version.class,
    description = {
      "Proposes the batches in --file (one JSON object per line, see below) and prints one"
          + " receipt per batch as a JSON line, in file order.",
      "Batch: {\"epoch\": N (optional), \"txns\": [txn, ...]}",
      "Txn: {\"clientId\": N, \"seq\": N (optional pair), \"tenant\": N, \"read\": [key, ...],"
          + " \"write\": [key, ...], \"payload\": \"text\" | \"payloadBase64\": \"...\"}",
      "Key: {\"collection\": \"c\", \"key\": \"text\" | \"keyBase64\": \"...\"}",
      "Every N may be a number or a decimal string (\"18446744073709551615\"). Receipts write"
          + " epoch, index and epochSystemMs as strings (64-bit, as protobuf's JSON does).",
      "Unknown fields are errors. Exit status: 0 all sequenced, 1 some proposal failed or"
          + " was committed but not sequenced (its receipt is printed, the reason goes to stderr),"
          + " 2 bad input (nothing is proposed)."
    })
final class ProposeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin ClientOptions client;

  @Option(
      names = "--file",
      required = true,
      paramLabel = "FILE",
      description = "The batches, one JSON object per line; - for standard input.")
  String file;

  @Option(
      names = "--max-batch-bytes",
      paramLabel = "BYTES",
      description =
          "Largest encoded batch accepted (the servers' --max-batch-bytes). Default: ${DEFAULT-VALUE}.")
  int maxBatchBytes = ProposalLimits.DEFAULTS.maxBatchBytes();

  @Option(
      names = "--max-txns-per-batch",
      paramLabel = "N",
      description = "Most txns in one batch (the servers' limit). Default: ${DEFAULT-VALUE}.")
  int maxTxnsPerBatch = ProposalLimits.DEFAULTS.maxTxnsPerBatch();

  private record Line(int number, EpochBatch batch) {}

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    List<Line> lines;
    try {
      lines = read();
    } catch (TxnJson.BadInput e) {
      err.println("error: " + e.getMessage());
      err.flush();
      return CommandLine.ExitCode.USAGE;
    }
    int failed = 0;
    try (SequencerClient c = client.builder().clusterMaxBatchBytes(maxBatchBytes).build()) {
      List<CompletableFuture<BatchReceipt>> fs = new ArrayList<>(lines.size());
      for (Line l : lines) {
        fs.add(c.propose(l.batch()));
      }
      for (int i = 0; i < lines.size(); i++) {
        int number = lines.get(i).number();
        try {
          BatchReceipt r = fs.get(i).join();
          out.println(receipt(number, r));
          String problem = notSequenced(r);
          if (problem != null) {
            failed++;
            err.println("error: " + source() + " line " + number + ": " + problem);
          }
        } catch (CompletionException e) {
          failed++;
          Throwable cause = e.getCause() != null ? e.getCause() : e;
          err.println("error: " + source() + " line " + number + ": " + cause.getMessage());
        }
        out.flush();
      }
    }
    err.flush();
    return failed == 0 ? CommandLine.ExitCode.OK : CommandLine.ExitCode.SOFTWARE;
  }

  private String source() {
    return "-".equals(file) ? "<stdin>" : file;
  }

  /** Every batch of the file, checked against the limits; the first problem ends the reading. */
  List<Line> read() throws IOException, TxnJson.BadInput {
    ProposalLimits limits =
        new ProposalLimits(
            maxBatchBytes,
            maxTxnsPerBatch,
            ProposalLimits.DEFAULTS.maxKeysPerTxn(),
            ProposalLimits.DEFAULTS.maxPayloadBytes());
    // Unlimited bytes first: a payload, txn or key count over its limit is named as such, not as
    // the batch size it also causes.
    ProposalLimits contentOnly =
        new ProposalLimits(
            Integer.MAX_VALUE,
            limits.maxTxnsPerBatch(),
            limits.maxKeysPerTxn(),
            limits.maxPayloadBytes());
    List<Line> out = new ArrayList<>();
    try (InputLines r = open()) {
      int length;
      while ((length = r.next()) >= 0) {
        int number = r.number();
        if (blank(r.bytes(), length)) {
          continue;
        }
        try {
          EpochBatch b = TxnJson.parseBatch(r.bytes(), length, System.currentTimeMillis());
          String problem = contentOnly.violation(b, 0);
          if (problem == null) {
            problem = limits.violation(b, EntryEncoder.encode(b).length);
          }
          if (problem != null) {
            throw new TxnJson.BadInput(problem);
          }
          out.add(new Line(number, b));
        } catch (TxnJson.BadInput e) {
          throw new TxnJson.BadInput(source() + " line " + number + ": " + e.getMessage());
        }
      }
    }
    if (out.isEmpty()) {
      throw new TxnJson.BadInput(source() + ": no batches (every line is empty)");
    }
    return out;
  }

  private static boolean blank(byte[] b, int length) {
    for (int i = 0; i < length; i++) {
      if (b[i] != ' ' && b[i] != '\t' && b[i] != '\r') {
        return false;
      }
    }
    return true;
  }

  /**
   * JSON takes more room than the encoded batch (6 bytes for an escaped control character, 4 for 3
   * of base64, some 30 bytes of field names around a key of a few), but not 16 times as much unless
   * padded: reading stops there, with a message, instead of filling the heap.
   */
  private InputLines open() throws TxnJson.BadInput {
    int maxLine = (int) Math.min(Integer.MAX_VALUE - 16, 16L * maxBatchBytes);
    String why =
        "16 x --max-batch-bytes " + maxBatchBytes + ", more than a batch within it takes as JSON";
    if ("-".equals(file)) {
      return new InputLines(System.in, source(), maxLine, why);
    }
    Path path = Path.of(file);
    if (Files.isDirectory(path)) {
      throw new TxnJson.BadInput(file + ": is a directory");
    }
    try {
      return new InputLines(Files.newInputStream(path), file, maxLine, why);
    } catch (NoSuchFileException e) {
      throw new TxnJson.BadInput(file + ": no such file");
    } catch (AccessDeniedException e) {
      throw new TxnJson.BadInput(file + ": permission denied");
    } catch (IOException e) {
      throw new TxnJson.BadInput(file + ": cannot be read: " + e.getMessage());
    }
  }

  /**
   * Why the committed batch of receipt {@code r} took no epoch, or null when it was sequenced
   * (APPLIED, or GAP: it took the higher epoch it named).
   */
  static String notSequenced(BatchReceipt r) {
    if (r.sequenced()) {
      return null;
    }
    String why =
        switch (r.outcome()) {
          case OUT_OF_RANGE ->
              "it named epoch "
                  + r.epoch()
                  + ", too far above the next epoch "
                  + r.expectedEpoch()
                  + ", and every replica skipped it";
          case STALE ->
              "it named epoch " + r.epoch() + ", below the next epoch " + r.expectedEpoch();
          case DECODE_ERROR ->
              "the servers could not decode it and skipped it (see the"
                  + " decode_error event or the servers' log)";
          default -> "unexpected outcome for a batch";
        };
    return "batch was committed at log index "
        + r.index()
        + " but not sequenced ("
        + r.outcome()
        + "): "
        + why;
  }

  private static String receipt(int line, BatchReceipt r) {
    var o = TxnJson.MAPPER.createObjectNode();
    o.put("line", line);
    o.put("outcome", r.outcome().name());
    o.put("epoch", Long.toString(r.epoch()));
    o.put("index", Long.toString(r.index()));
    o.put("epochSystemMs", Long.toString(r.epochSystemMs()));
    o.put("txns", r.txnCount());
    return o.toString();
  }
}
