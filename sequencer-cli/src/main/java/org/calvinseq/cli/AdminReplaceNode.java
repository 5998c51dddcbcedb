package org.calvinseq.cli;

import java.io.IOException;
import java.io.PrintWriter;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.calvinseq.client.ClusterAdmin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sequencer admin replace-node}: swaps one member for a new one in one change. */
@Command(
    name = "replace-node",
    description = {
      "Replaces a member (typically a dead one) by a new node in one configuration change. Start"
          + " the new node first with 'sequencer node --join' on an empty data directory."
          + " Prints the new membership.",
      "Exit status: 0 when the change is committed, 1 otherwise."
    })
final class AdminReplaceNode extends AdminOperation {
  @Option(
      names = "--old",
      required = true,
      paramLabel = "ID",
      converter = AdminCommand.PeerIdText.class,
      description = "The member to replace, by id.")
  RaftPeerId old;

  @Option(
      names = "--node",
      required = true,
      paramLabel = "ID@HOST:PORT",
      converter = AdminCommand.PeerText.class,
      description = "The new member and its Raft address, e.g. n4@10.0.0.4:7001.")
  RaftPeer node;

  @Override
  void run(ClusterAdmin admin, PrintWriter out) throws IOException {
    print(out, admin.replaceNode(old, node));
  }
}
