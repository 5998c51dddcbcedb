package org.calvinseq.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.apache.ratis.protocol.RaftPeerId;
import org.calvinseq.client.ReplayIterator;
import org.calvinseq.client.SequencerClient;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code sequencer replay}: dumps a vshard's txns of an epoch range as JSON lines. */
@Command(
    name = "replay",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    versionProvider = SequencerCli.Version.class,
    description = {
      "Prints the txns of --vshard in epochs [--from, --to], in order, one JSON object per line:"
          + " the txn (as propose reads it) plus epoch, position and epochSystemMs.",
      "64-bit values (epoch, epochSystemMs, clientId, seq, tenant) are decimal strings, as in"
          + " protobuf's JSON mapping, so JavaScript's JSON.parse keeps them exact; position is a"
          + " number. A key or payload is text (\"key\", \"payload\") when its bytes are valid"
          + " UTF-8, else base64 (\"keyBase64\", \"payloadBase64\").",
      "Pages come from --peer, or from the best peer; another peer takes over if it stops"
          + " answering. Exit status: 0 done, 1 failed (range no longer retained, or no peer"
          + " answered).",
      "At the end, a line on standard error says through which epoch the range is complete:"
          + " 'complete through epoch N'. A range reaching past the last epoch the serving peer"
          + " had applied stops there, and the line says so; replay again from N+1 for the rest."
    })
final class ReplayCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin ClientOptions client;

  @Option(names = "--vshard", required = true, paramLabel = "V", description = "The vshard.")
  int vshard;

  @Option(names = "--from", required = true, paramLabel = "EPOCH", description = "First epoch.")
  long from;

  @Option(
      names = "--to",
      paramLabel = "EPOCH",
      description = "Last epoch (inclusive). Default: the last epoch the serving peer applied.")
  Long to;

  @Option(
      names = "--peer",
      paramLabel = "ID",
      description = "The peer to read from first (e.g. n2). Default: the client's choice.")
  String peer;

  @Option(
      names = "--page-size",
      paramLabel = "TXNS",
      defaultValue = "1000",
      description = "Txns per request. Default: ${DEFAULT-VALUE}.")
  int pageSize;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    if (from < 0 || (to != null && to < from) || vshard < 0 || pageSize < 1) {
      throw new ParameterException(
          spec.commandLine(),
          "need --vshard >= 0, --from >= 0, --to >= --from and --page-size >= 1");
    }
    try (SequencerClient c = client.builder().build()) {
      RaftPeerId first = peer == null ? null : RaftPeerId.valueOf(peer);
      if (first != null && c.peers().stream().noneMatch(p -> p.getId().equals(first))) {
        throw new ParameterException(
            spec.commandLine(), "--peer " + peer + " is not one of --peers");
      }
      long last = to != null ? to : Long.MAX_VALUE;
      ReplayIterator it = c.replay(first, vshard, from, last, pageSize);
      long n = 0;
      while (it.hasNext()) {
        out.println(TxnJson.write(it.next()));
        if (++n % 1000 == 0) {
          out.flush();
        }
      }
      out.flush();
      long through = it.completeThroughEpoch();
      PrintWriter err = spec.commandLine().getErr();
      String line = "vshard " + vshard + ": " + n + " txns, complete through epoch " + through;
      if (to != null && through < to) {
        line += " (asked for --to " + to + "; the serving peer had applied no further)";
      }
      err.println(line);
      err.flush();
      return CommandLine.ExitCode.OK;
    }
  }
}
