package org.calvinseq.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class SequencerCliTest {
  @Test
  void everyCommandHasHelpThatExitsZero() {
    CliRun top = CliRun.of("--help");
    assertThat(top.exitCode()).isZero();
    assertThat(top.out()).contains("node", "local-cluster");

    for (String name : CliRun.commandLine().getSubcommands().keySet()) {
      CliRun run = CliRun.of(name, "--help");
      assertThat(run.exitCode()).as(name + " --help").isZero();
      assertThat(run.out()).as(name + " --help").contains("Usage: sequencer " + name);
      assertThat(run.err()).as(name + " --help").isEmpty();
    }
  }

  @Test
  void nodeHelpNamesItsSettingsAndDefaults() {
    String help = CliRun.of("node", "--help").out();
    assertThat(help)
        .contains(
            "--config",
            "--id",
            "--peers",
            "--cluster-name",
            "--data-dir",
            "--admin-host",
            "--admin-port",
            "--admin-allow",
            "--vshards",
            "--hosted",
            "--queue-capacity",
            "--max-batch-bytes",
            "--max-txns-per-batch",
            "--max-keys-per-txn",
            "--max-payload-bytes",
            "--max-epoch-gap",
            "--snapshot-every",
            "--replay-retention",
            "--election-timeout-min",
            "--election-timeout-max",
            "--inbox-epoch-interval",
            "--inbox-max-txns-per-epoch",
            "--inbox-max-bytes-per-epoch",
            "--inbox-eager-in-flight",
            "--inbox-max-in-flight",
            "--inbox-capacity-txns",
            "--inbox-capacity-bytes",
            "--inbox-tenant-share-divisor",
            "--print-config")
        .contains("Default: 1024", "Default: 1000.", "Default: 2000.", "127.0.0.1.")
        .contains("Default: 262144.");
  }

  @Test
  void localClusterHelpNamesItsOptions() {
    String help = CliRun.of("local-cluster", "--help").out();
    assertThat(help)
        .contains(
            "--nodes",
            "--data-dir",
            "--admin-port-base",
            "--demo-load",
            "--demo-batch-size",
            "--demo-rate",
            "--demo-in-flight",
            "--duration",
            ClusterLayout.FILE);
  }

  @Test
  void versionComesFromTheManifestOrIsDev() {
    CliRun run = CliRun.of("--version");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).startsWith("calvinseq " + SequencerCli.version());
  }

  @Test
  void noCommandIsAUsageError() {
    CliRun run = CliRun.of();
    assertThat(run.exitCode()).isEqualTo(CommandLine.ExitCode.USAGE);
    assertThat(run.err()).contains("Missing command", "Commands:");
  }

  @Test
  void unknownFlagsAndCommandsGiveOneClearMessage() {
    for (List<String> args :
        List.of(
            List.of("node", "--bogus"),
            List.of("local-cluster", "--nodes"),
            List.of("local-cluster", "--duration", "ten"),
            List.of("nope"))) {
      CliRun run = CliRun.of(args.toArray(new String[0]));
      assertThat(run.exitCode()).as("%s", args).isEqualTo(CommandLine.ExitCode.USAGE);
      assertThat(run.err())
          .as("%s", args)
          .startsWith("error: ")
          .contains("--help' for the options");
      assertThat(run.err()).as("%s: no wall of usage", args).doesNotContain("Usage:");
      assertThat(run.out()).isEmpty();
    }
    assertThat(CliRun.of("node", "--bogus").err()).contains("Unknown option: '--bogus'");
    assertThat(CliRun.of("local-cluster", "--duration", "ten").err())
        .contains("bad duration 'ten'");
  }
}
