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

/** {@code sequencer admin remove-node}: removes a member from the configuration. */
@Command(
    name = "remove-node",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    versionProvider = SequencerCli.Version.class,
    description = {
      "Removes a member (running or dead); stop it afterwards. Removing the leader moves"
          + " leadership to another member. Prints the new membership.",
      "Exit status: 0 when the node is no longer a member, 1 otherwise."
    })
final class AdminRemoveNode implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin ClientOptions client;

  @Option(
      names = "--node",
      required = true,
      paramLabel = "ID",
      converter = AdminCommand.PeerIdText.class,
      description = "The member to remove, by id (id@host:port is accepted too).")
  RaftPeerId node;

  @Override
  public Integer call() throws IOException {
    try (ClusterAdmin admin = ClusterAdmin.create(client.builder())) {
      AdminCommand.print(spec.commandLine().getOut(), admin.removeNode(node));
    }
    return CommandLine.ExitCode.OK;
  }
}
