package org.calvinseq.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.calvinseq.client.PeerStatus;
import org.calvinseq.client.Peers;
import org.calvinseq.client.SequencerClient;
import org.calvinseq.core.protocol.NodeStatus;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code sequencer status}: every member's view of itself, as a table. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    versionProvider = SequencerCli.Version.class,
    description = {
      "Asks every member for its status and prints a table: role, term, last applied epoch and"
          + " how many epochs it is behind the most advanced member. A member that does not"
          + " answer is asked again, with backoff, until --timeout; one that has not answered"
          + " by then is listed as UNREACHABLE with the last reason (so a member that is down"
          + " makes the command last --timeout). The last line names the Raft group id, derived from"
          + " --cluster-name (for tools such as ratis-shell).",
      "Exit status: 0 when a majority answered and one of them is the leader, 1 otherwise."
    })
final class StatusCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin ClientOptions client;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    List<PeerStatus> all;
    try (SequencerClient c = client.builder().build()) {
      all = c.status();
    }
    long maxApplied =
        all.stream()
            .filter(PeerStatus::reachable)
            .mapToLong(s -> s.status().lastAppliedEpoch())
            .max()
            .orElse(-1);
    List<String[]> rows = new ArrayList<>();
    rows.add(
        new String[] {"PEER", "ADDRESS", "ROLE", "TERM", "APPLIED_EPOCH", "LAG", "LEADER", "NOTE"});
    boolean leader = false;
    int reachable = 0;
    for (PeerStatus s : all) {
      if (!s.reachable()) {
        rows.add(
            new String[] {
              s.peer().toString(), s.address(), "UNREACHABLE", "-", "-", "-", "-", s.error()
            });
        continue;
      }
      reachable++;
      NodeStatus n = s.status();
      leader |= "LEADER".equals(n.role());
      rows.add(
          new String[] {
            s.peer().toString(),
            s.address(),
            n.role(),
            Long.toString(n.term()),
            Long.toString(n.lastAppliedEpoch()),
            Long.toString(maxApplied - n.lastAppliedEpoch()),
            n.leaderId().isEmpty() ? "-" : n.leaderId(),
            ""
          });
    }
    print(out, rows);
    out.println(
        "cluster "
            + client.clusterName
            + ": Raft group id "
            + Peers.groupId(client.clusterName).getUuid());
    out.flush();
    boolean healthy = leader && reachable > all.size() / 2;
    return healthy ? CommandLine.ExitCode.OK : CommandLine.ExitCode.SOFTWARE;
  }

  private static void print(PrintWriter out, List<String[]> rows) {
    int[] width = new int[rows.get(0).length];
    for (String[] r : rows) {
      for (int i = 0; i < r.length - 1; i++) {
        width[i] = Math.max(width[i], r[i].length());
      }
    }
    for (String[] r : rows) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < r.length; i++) {
        sb.append(r[i]);
        if (i < r.length - 1) {
          sb.append(" ".repeat(width[i] - r[i].length() + 2));
        }
      }
      out.println(sb.toString().stripTrailing());
    }
  }
}
