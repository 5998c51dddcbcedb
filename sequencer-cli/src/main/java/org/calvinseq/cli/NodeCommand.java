package org.calvinseq.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import org.calvinseq.server.NodeConfig;
import org.calvinseq.server.SequencerNode;
import org.calvinseq.server.SequencerNodeBuilder;
import org.calvinseq.server.inbox.InboxSettings;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code sequencer node}: one member of a cluster, in the foreground until SIGTERM or Ctrl-C. */
@Command(
    name = "node",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    defaultValueProvider = NodeOptions.Defaults.class,
    versionProvider = SequencerCli.Version.class,
    description = {
      "Runs one member of a sequencer cluster until SIGTERM or Ctrl-C, then closes it cleanly.",
      "Settings come from flags or a properties file (--config); flags override the file."
    },
    footer = {
      "",
      "Config file keys are the option names without the leading dashes; an empty value means"
          + " the default:",
      "  id=n1",
      "  peers=n1@10.0.0.1:7001,n2@10.0.0.2:7001,n3@10.0.0.3:7001",
      "  data-dir=/var/lib/calvinseq",
      "  admin-host=0.0.0.0",
      "  admin-port=9464",
      "  admin-allow=10.0.0.0/8,127.0.0.1"
    })
final class NodeCommand implements Callable<Integer> {
  /**
   * Exit status after a failed write of the node's Raft log (disk full, I/O error): the node cannot
   * recover in place, its supervisor should start it again once the disk is fixed.
   */
  static final int EXIT_LOG_FAILED = 3;

  /**
   * Exit status when the cluster's log records another vshard count or cluster name than this
   * node's: restarting will not help; fix the setting and start on an empty data directory.
   */
  static final int EXIT_CLUSTER_MISMATCH = 4;

  /**
   * How long a node whose log failed (or that disagrees with its cluster's settings) keeps serving
   * its admin endpoint (/ready 503 with the reason, {@code sequencer_raft_log_failed} 1) before it
   * exits, so that probes and a scrape see why.
   */
  static final Duration LOG_FAILED_EXIT_DELAY = Duration.ofSeconds(15);

  @Spec CommandSpec spec;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      order = -2,
      description = "Properties file with the node's settings; flags override it.")
  Path config;

  @Mixin NodeOptions options;

  @Option(
      names = "--print-config",
      order = 1000,
      description = "Print the effective settings as a config file and exit without starting.")
  boolean printConfig;

  @Override
  public Integer call() throws IOException, InterruptedException {
    NodeOptions effective = effectiveOptions();
    SequencerNodeBuilder builder = effective.builder(spec.commandLine());
    if (printConfig) {
      spec.commandLine().getOut().print(ConfigFile.format(effective));
      spec.commandLine().getOut().flush();
      return CommandLine.ExitCode.OK;
    }
    return run(builder.build());
  }

  /** The flags merged over the {@code --config} file, if one was given. */
  NodeOptions effectiveOptions() {
    if (config == null) {
      return options;
    }
    CommandLine cl = spec.commandLine();
    Properties file = ConfigFile.load(cl, config);
    return ConfigFile.merge(cl, cl.getParseResult(), file, config, new NodeOptions());
  }

  /** The node configuration the flags and file describe; for tests and {@code --print-config}. */
  NodeConfig effectiveConfig() {
    return effectiveOptions().builder(spec.commandLine()).config();
  }

  /** The leader inbox settings the flags and file describe; for tests. */
  InboxSettings effectiveInboxSettings() {
    NodeOptions o = effectiveOptions();
    return o.inboxSettings(o.builder(spec.commandLine()).config().limits());
  }

  private int run(SequencerNode node) throws IOException, InterruptedException {
    NodeConfig c = node.config();
    GracefulStop stop = GracefulStop.install("node " + c.nodeId(), node::close);
    try {
      node.start();
    } catch (IOException | RuntimeException e) {
      stop.abandon();
      node.close();
      throw e;
    }
    PrintWriter out = spec.commandLine().getOut();
    out.println(
        "node "
            + c.nodeId()
            + " running: raft "
            + c.self().getAddress()
            + ", cluster "
            + c.clusterName()
            + ", data "
            + c.dataDir().toAbsolutePath());
    out.println(
        c.adminPort() < 0
            ? "admin " + c.nodeId() + ": off"
            : "admin " + c.nodeId() + ": " + adminUrl(c.adminHost(), node.adminPort()));
    out.flush();
    CompletableFuture<String> logFailure = node.logFailure();
    CompletableFuture<String> mismatch = node.clusterMismatch();
    long failedAt = 0;
    while (!stop.await(Duration.ofMillis(200))) {
      CompletableFuture<String> failure = mismatch.isDone() ? mismatch : logFailure;
      if (!failure.isDone()) {
        continue;
      }
      if (failedAt == 0) {
        failedAt = System.nanoTime();
      } else if (System.nanoTime() - failedAt >= LOG_FAILED_EXIT_DELAY.toNanos()) {
        boolean settings = failure == mismatch;
        int status = settings ? EXIT_CLUSTER_MISMATCH : EXIT_LOG_FAILED;
        stop.stopNow(failure.join());
        spec.commandLine()
            .getErr()
            .println(
                "node "
                    + c.nodeId()
                    + " stopped: "
                    + failure.join()
                    + "; exiting with status "
                    + status
                    + (settings
                        ? " (fix its settings and give it an empty data directory)"
                        : " (restart it once the disk is fixed)"));
        spec.commandLine().getErr().flush();
        return status;
      }
    }
    return CommandLine.ExitCode.OK;
  }

  static String adminUrl(String host, int port) {
    String h = host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
    return "http://" + h + ":" + port;
  }
}
