package org.calvinseq.cli;

import java.io.PrintWriter;
import java.util.Objects;
import java.util.concurrent.Callable;
import org.calvinseq.server.CommonPool;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code sequencer} command line: run a cluster member ({@code node}), a whole cluster on
 * loopback ({@code local-cluster}), and talk to a cluster (the client commands).
 *
 * <p>Exit codes: 0 success, 1 a failure at run time, 2 bad usage or settings (picocli's
 * convention). User-facing results go to standard output; logs go to standard error, so results can
 * be piped.
 */
@Command(
    name = "sequencer",
    mixinStandardHelpOptions = true,
    versionProvider = SequencerCli.Version.class,
    description = "calvinseq: a Raft-backed Calvin sequencer.",
    subcommands = {
      NodeCommand.class,
      LocalClusterCommand.class,
      ProposeCommand.class,
      ReplayCommand.class,
      StatusCommand.class,
      BenchCommand.class,
      AdminCommand.class
    })
public final class SequencerCli implements Callable<Integer> {
  /**
   * The logging configuration of the command line. It is not named {@code logback.xml} so that it
   * does not configure the logging of applications that embed this jar; {@link #main} selects it
   * unless {@code -Dlogback.configurationFile} names another.
   */
  static final String LOGBACK_CONFIG = "org/calvinseq/cli/logback-cli.xml";

  @Spec CommandSpec spec;

  public static void main(String[] args) {
    // First of all, before any class gets an SLF4J logger: logback configures itself once, on the
    // first logger, and without this property falls back to DEBUG for every library on stderr.
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", LOGBACK_CONFIG);
    }
    // Before the common pool is first used: the JVM reads its parallelism then.
    CommonPool.ensureParallelism();
    System.exit(commandLine().execute(args));
  }

  /** The configured command line; tests call {@code execute} on it. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new SequencerCli());
    cl.setExecutionExceptionHandler(SequencerCli::onFailure);
    cl.setParameterExceptionHandler(SequencerCli::onBadUsage);
    return cl;
  }

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    err.println("Missing command.");
    spec.commandLine().usage(err);
    return CommandLine.ExitCode.USAGE;
  }

  /** A bad flag: its message and a pointer to the help, not the whole help text. */
  private static int onBadUsage(CommandLine.ParameterException e, String[] args) {
    CommandLine cl = e.getCommandLine();
    PrintWriter err = cl.getErr();
    err.println("error: " + e.getMessage());
    CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
    err.println("Try '" + cl.getCommandSpec().qualifiedName() + " --help' for the options.");
    err.flush();
    return cl.getCommandSpec().exitCodeOnInvalidInput();
  }

  /**
   * Bad settings that only show when they are combined ({@link IllegalArgumentException}) are a
   * usage error; anything else is a run-time failure. Either way the user gets the message and its
   * causes, not a stack trace; the trace goes to the debug log.
   */
  private static int onFailure(Exception e, CommandLine cl, CommandLine.ParseResult parseResult) {
    PrintWriter err = cl.getErr();
    LoggerFactory.getLogger(SequencerCli.class).debug("{} failed", cl.getCommandName(), e);
    if (e instanceof IllegalArgumentException) {
      err.println("error: " + e.getMessage());
      err.println("Try '" + cl.getCommandSpec().qualifiedName() + " --help' for the options.");
      return CommandLine.ExitCode.USAGE;
    }
    err.println("error: " + describe(e));
    Throwable c = e.getCause();
    for (int depth = 0; c != null && depth < 8; depth++, c = c.getCause()) {
      err.println("  caused by: " + describe(c));
    }
    return CommandLine.ExitCode.SOFTWARE;
  }

  private static String describe(Throwable t) {
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  /** The version is the jar's {@code Implementation-Version}; "dev" when run from classes. */
  static String version() {
    return Objects.requireNonNullElse(
        SequencerCli.class.getPackage().getImplementationVersion(), "dev");
  }

  /** Supplies {@code --version}. */
  static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {
        "calvinseq " + version(),
        "Java "
            + System.getProperty("java.version")
            + " ("
            + System.getProperty("java.vendor")
            + ")"
      };
    }
  }
}
