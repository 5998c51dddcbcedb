package org.calvinseq.cli;

import java.io.IOException;
import java.io.PrintWriter;
import org.apache.ratis.protocol.RaftPeer;
import org.calvinseq.client.ClusterAdmin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sequencer admin add-node}: adds a running new node to the configuration. */
@Command(
    name = "add-node",
    description = {
      "Adds a member. Start it first with 'sequencer node --join' on an empty data directory;"
          + " the leader brings it up to date (log replay or snapshot installation), then commits"
          + " the new configuration. Prints the new membership.",
      "Exit status: 0 when the node is a member, 1 otherwise."
    })
final class AdminAddNode extends AdminOperation {
  @Option(
      names = "--node",
      required = true,
      paramLabel = "ID@HOST:PORT",
      converter = AdminCommand.PeerText.class,
      description = "The new member and its Raft address, e.g. n4@10.0.0.4:7001.")
  RaftPeer node;

  @Override
  void run(ClusterAdmin admin, PrintWriter out) throws IOException {
    print(out, admin.addNode(node));
  }
}
