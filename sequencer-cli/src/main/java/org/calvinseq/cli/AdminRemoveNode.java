package org.calvinseq.cli;

import java.io.IOException;
import java.io.PrintWriter;
import org.apache.ratis.protocol.RaftPeerId;
import org.calvinseq.client.ClusterAdmin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sequencer admin remove-node}: removes a member from the configuration. */
@Command(
    name = "remove-node",
    description = {
      "Removes a member (running or dead); stop it afterwards. Removing the leader moves"
          + " leadership to another member. Prints the new membership.",
      "Exit status: 0 when the node is no longer a member, 1 otherwise."
    })
final class AdminRemoveNode extends AdminOperation {
  @Option(
      names = "--node",
      required = true,
      paramLabel = "ID",
      converter = AdminCommand.PeerIdText.class,
      description = "The member to remove, by id (id@host:port is accepted too).")
  RaftPeerId node;

  @Override
  void run(ClusterAdmin admin, PrintWriter out) throws IOException {
    print(out, admin.removeNode(node));
  }
}
