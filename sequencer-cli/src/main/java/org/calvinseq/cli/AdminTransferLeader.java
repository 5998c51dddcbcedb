package org.calvinseq.cli;

import java.io.IOException;
import java.io.PrintWriter;
import org.apache.ratis.protocol.RaftPeerId;
import org.calvinseq.client.ClusterAdmin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sequencer admin transfer-leader}: moves leadership to a member. */
@Command(
    name = "transfer-leader",
    description = {
      "Moves leadership to the given member and waits until it leads (e.g. before restarting"
          + " the leader for an upgrade).",
      "Exit status: 0 when the member leads, 1 otherwise."
    })
final class AdminTransferLeader extends AdminOperation {
  @Option(
      names = "--node",
      required = true,
      paramLabel = "ID",
      converter = AdminCommand.PeerIdText.class,
      description = "The member that should lead, by id.")
  RaftPeerId node;

  @Override
  void run(ClusterAdmin admin, PrintWriter out) throws IOException {
    print(out, admin.transferLeader(node));
  }
}
