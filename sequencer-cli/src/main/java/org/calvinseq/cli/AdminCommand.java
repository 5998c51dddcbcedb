package org.calvinseq.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.calvinseq.client.ClusterAdmin;
import org.calvinseq.client.Peers;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code sequencer admin}: membership changes and maintenance of a running cluster, through {@link
 * ClusterAdmin}.
 */
@Command(
    name = "admin",
    mixinStandardHelpOptions = true,
    versionProvider = SequencerCli.Version.class,
    description = {
      "Changes a running cluster's membership (one member at a time) and asks it for maintenance:"
          + " add-node, remove-node, replace-node, transfer-leader, snapshot.",
      "--peers may be any members of the cluster; the current configuration is read from the"
          + " leader. A change is safe to repeat after a timeout."
    },
    subcommands = {
      AdminAddNode.class,
      AdminRemoveNode.class,
      AdminReplaceNode.class,
      AdminTransferLeader.class,
      AdminSnapshot.class
    })
final class AdminCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    err.println("Missing admin command.");
    spec.commandLine().usage(err);
    return CommandLine.ExitCode.USAGE;
  }

  /** One peer as {@code id@host:port}. */
  static final class PeerText implements CommandLine.ITypeConverter<RaftPeer> {
    @Override
    public RaftPeer convert(String value) {
      List<RaftPeer> p;
      try {
        p = Peers.parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
      if (p.size() != 1) {
        throw new TypeConversionException("expected one peer id@host:port: " + value);
      }
      return p.get(0);
    }
  }

  /** A member id, given alone or as {@code id@host:port}. */
  static final class PeerIdText implements CommandLine.ITypeConverter<RaftPeerId> {
    @Override
    public RaftPeerId convert(String value) {
      String v = value.strip();
      int at = v.indexOf('@');
      String id = at >= 0 ? v.substring(0, at) : v;
      if (id.isEmpty() || id.contains(",")) {
        throw new TypeConversionException("expected a member id such as n3: " + value);
      }
      return RaftPeerId.valueOf(id);
    }
  }
}
