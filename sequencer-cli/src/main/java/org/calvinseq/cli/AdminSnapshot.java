package org.calvinseq.cli;

import java.io.IOException;
import java.io.PrintWriter;
import org.apache.ratis.protocol.RaftPeerId;
import org.calvinseq.client.ClusterAdmin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sequencer admin snapshot}: makes a member take a snapshot now. */
@Command(
    name = "snapshot",
    description = {
      "Makes a member take a snapshot now (e.g. before a backup) and prints the log index it"
          + " covers.",
      "Exit status: 0 when the snapshot was taken, 1 otherwise."
    })
final class AdminSnapshot extends AdminOperation {
  @Option(
      names = "--node",
      paramLabel = "ID",
      converter = AdminCommand.PeerIdText.class,
      description = "The member that takes the snapshot, by id. Default: the leader.")
  RaftPeerId node;

  @Override
  void run(ClusterAdmin admin, PrintWriter out) throws IOException {
    long index = admin.snapshot(node);
    out.println("snapshot: " + (node == null ? "leader" : node) + " at log index " + index);
  }
}
