package org.calvinseq.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.apache.ratis.protocol.RaftPeerId;
import org.calvinseq.client.ClusterAdmin;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code sequencer admin snapshot}: makes a member take a snapshot now. */
@Command(
    name = "snapshot",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    versionProvider = SequencerCli.Version.class,
    description = {
      "Makes a member take a snapshot now (e.g. before a backup) and prints the log index it"
          + " covers.",
      "Exit status: 0 when the snapshot was taken, 1 otherwise."
    })
final class AdminSnapshot implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin ClientOptions client;

  @Option(
      names = "--node",
      paramLabel = "ID",
      converter = AdminCommand.PeerIdText.class,
      description = "The member that takes the snapshot, by id. Default: the leader.")
  RaftPeerId node;

  @Override
  public Integer call() throws IOException {
    try (ClusterAdmin admin = ClusterAdmin.create(client.builder())) {
      long index = admin.snapshot(node);
      PrintWriter out = spec.commandLine().getOut();
      out.println("snapshot: " + (node == null ? "leader" : node) + " at log index " + index);
      out.flush();
    }
    return CommandLine.ExitCode.OK;
  }
}
