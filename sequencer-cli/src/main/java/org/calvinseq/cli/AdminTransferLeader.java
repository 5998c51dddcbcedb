package org.calvinseq.cli;

import java.io.IOException;
import java.util.concurrent.Callable;
import org.apache.ratis.protocol.RaftPeerId;
import org.calvinseq.client.ClusterAdmin;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code sequencer admin transfer-leader}: moves leadership to a member. */
@Command(
    name = "transfer-leader",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    versionProvider = SequencerCli.Version.class,
    description = {
      "Moves leadership to the given member and waits until it leads (e.g. before restarting"
          + " the leader for an upgrade).",
      "Exit status: 0 when the member leads, 1 otherwise."
    })
final class AdminTransferLeader implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin ClientOptions client;

  @Option(
      names = "--node",
      required = true,
      paramLabel = "ID",
      converter = AdminCommand.PeerIdText.class,
      description = "The member that should lead, by id.")
  RaftPeerId node;

  @Override
  public Integer call() throws IOException {
    try (ClusterAdmin admin = ClusterAdmin.create(client.builder())) {
      AdminCommand.print(spec.commandLine().getOut(), admin.transferLeader(node));
    }
    return CommandLine.ExitCode.OK;
  }
}
