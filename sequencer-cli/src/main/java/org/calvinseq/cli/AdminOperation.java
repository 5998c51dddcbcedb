package org.calvinseq.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.calvinseq.client.ClusterAdmin;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * One {@code sequencer admin} subcommand: the client options every one takes, a {@link
 * ClusterAdmin} opened on them and closed after, and the membership printed as the other commands
 * take it. A subcommand says only its name, description, own options and the call it makes.
 */
@Command(
    mixinStandardHelpOptions = true,
    sortOptions = false,
    versionProvider = SequencerCli.Version.class)
abstract class AdminOperation implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin ClientOptions client;

  /** Does the operation with {@code admin} and prints its outcome to {@code out}. */
  abstract void run(ClusterAdmin admin, PrintWriter out) throws IOException;

  @Override
  public final Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    try (ClusterAdmin admin = ClusterAdmin.create(client.builder())) {
      run(admin, out);
    }
    out.flush();
    return CommandLine.ExitCode.OK;
  }

  /** Prints the membership a change left, as the peers string the other commands take. */
  static void print(PrintWriter out, ClusterAdmin.Membership m) {
    out.println("members: " + m.peersString());
    out.println("leader: " + m.leader());
  }
}
