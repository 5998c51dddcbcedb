package org.calvinseq.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/**
 * One in-process run of the {@code sequencer} command line with its output captured.
 *
 * @param exitCode what {@code main} would exit with
 * @param out standard output
 * @param err standard error
 */
record CliRun(int exitCode, String out, String err) {
  static {
    // Before anything logs in this JVM: the command line's logging rather than logback's
    // debug-everything default.
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", SequencerCli.LOGBACK_CONFIG);
    }
  }

  /** The command line as {@code main} configures it; use this rather than {@link SequencerCli}. */
  static CommandLine commandLine() {
    return SequencerCli.commandLine();
  }

  static CliRun of(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new CliRun(code, out.toString(), err.toString());
  }
}
