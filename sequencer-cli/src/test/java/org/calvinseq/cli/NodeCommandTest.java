package org.calvinseq.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import org.calvinseq.core.codec.ProposalLimits;
import org.calvinseq.server.NodeConfig;
import org.calvinseq.server.inbox.InboxSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.ExitCode;

class NodeCommandTest {
  private static final String PEERS = "n1@127.0.0.1:7001,n2@127.0.0.1:7002,n3@127.0.0.1:7003";

  @TempDir Path dir;

  private Path file(String... lines) throws IOException {
    Path f = dir.resolve("node.properties");
    Files.write(f, List.of(lines));
    return f;
  }

  /** The configuration a node would start with. */
  private static NodeConfig config(String... args) {
    CommandLine cl = CliRun.commandLine();
    CommandLine.ParseResult parsed = cl.parseArgs(args);
    NodeCommand node = parsed.subcommand().commandSpec().commandLine().getCommand();
    return node.effectiveConfig();
  }

  @Test
  void flagsAloneGiveTheDocumentedDefaults() {
    NodeConfig c = config("node", "--id", "n2", "--peers", PEERS, "--data-dir", "/tmp/d");
    assertThat(c.nodeId()).isEqualTo("n2");
    assertThat(c.peers()).hasSize(3);
    assertThat(c.adminHost()).isEqualTo("127.0.0.1");
    assertThat(c.adminPort()).isZero();
    assertThat(c.hosted()).isNull();
    assertThat(c.vshardCount()).isEqualTo(1024);
    assertThat(c.electionTimeoutMin()).isEqualTo(NodeConfig.DEFAULT_ELECTION_MIN);
    assertThat(c.electionTimeoutMax()).isEqualTo(NodeConfig.DEFAULT_ELECTION_MAX);
    assertThat(c.raftBindPort()).as("listen on the port of its own peer address").isEqualTo(-1);
    assertThat(c.limits().maxEpochGap()).isEqualTo(1_000_000);
  }

  @Test
  void maxEpochGapComesFromTheFileOrAFlagAndIsBoundedByTheProtocol() throws IOException {
    Path f = file("id=n1", "peers=" + PEERS, "data-dir=" + dir, "max-epoch-gap=5000");
    assertThat(config("node", "--config", f.toString()).limits().maxEpochGap()).isEqualTo(5000);
    assertThat(
            config("node", "--config", f.toString(), "--max-epoch-gap", "7").limits().maxEpochGap())
        .isEqualTo(7);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> config("node", "--config", f.toString(), "--max-epoch-gap", "1000000001"))
        .hasMessageContaining("maxEpochGap")
        .hasMessageContaining("1000000000");
  }

  @Test
  void completionRetentionComesFromTheFileOrAFlagAndIsValidated() throws IOException {
    NodeConfig d = config("node", "--id", "n2", "--peers", PEERS, "--data-dir", "/tmp/d");
    assertThat(d.completionRetention()).isEqualTo(Duration.ofMinutes(10));
    assertThat(d.completionMaxEntries()).isEqualTo(1_000_000);

    Path f =
        file(
            "id=n1",
            "peers=" + PEERS,
            "data-dir=" + dir,
            "completion-retention=60000",
            "completion-max-entries=5000");
    NodeConfig c = config("node", "--config", f.toString());
    assertThat(c.completionRetention()).isEqualTo(Duration.ofMinutes(1));
    assertThat(c.completionMaxEntries()).isEqualTo(5000);
    assertThat(
            config("node", "--config", f.toString(), "--completion-max-entries", "7")
                .completionMaxEntries())
        .isEqualTo(7);

    CliRun run = base("--completion-retention", "0");
    assertThat(run.exitCode()).isEqualTo(ExitCode.USAGE);
    assertThat(run.err()).contains("completionRetention must be >= 1 ms");
    run = base("--completion-max-entries", "0");
    assertThat(run.exitCode()).isEqualTo(ExitCode.USAGE);
    assertThat(run.err()).contains("completionMaxEntries must be >= 1");
  }

  /** The leader inbox settings a node would start with. */
  private static InboxSettings inbox(String... args) {
    CommandLine cl = CliRun.commandLine();
    CommandLine.ParseResult parsed = cl.parseArgs(args);
    NodeCommand node = parsed.subcommand().commandSpec().commandLine().getCommand();
    return node.effectiveInboxSettings();
  }

  @Test
  void inboxSettingsDefaultToTheInboxsOwnWithinTheProposalLimits() {
    InboxSettings d = inbox("node", "--id", "n2", "--peers", PEERS, "--data-dir", "/tmp/d");
    assertThat(d).isEqualTo(InboxSettings.defaults(ProposalLimits.DEFAULTS));

    InboxSettings small =
        inbox(
            "node",
            "--id",
            "n2",
            "--peers",
            PEERS,
            "--data-dir",
            "/tmp/d",
            "--max-txns-per-batch",
            "500",
            "--max-batch-bytes",
            "1048576");
    assertThat(small.maxTxnsPerEpoch()).as("within --max-txns-per-batch").isEqualTo(500);
    assertThat(small.maxBytesPerEpoch()).as("within --max-batch-bytes").isEqualTo(1 << 20);
    assertThat(small.capacityBytes()).as("16 full epochs").isEqualTo(16L << 20);
  }

  @Test
  void inboxSettingsComeFromTheFileOrAFlag() throws IOException {
    Path f =
        file(
            "id=n1",
            "peers=" + PEERS,
            "data-dir=" + dir,
            "inbox-epoch-interval=20",
            "inbox-max-txns-per-epoch=512",
            "inbox-max-bytes-per-epoch=2097152",
            "inbox-eager-in-flight=1",
            "inbox-max-in-flight=4",
            "inbox-capacity-txns=65536",
            "inbox-capacity-bytes=",
            "inbox-tenant-share-divisor=4");
    InboxSettings s = inbox("node", "--config", f.toString());
    assertThat(s.epochInterval()).isEqualTo(Duration.ofMillis(20));
    assertThat(s.maxTxnsPerEpoch()).isEqualTo(512);
    assertThat(s.maxBytesPerEpoch()).isEqualTo(2 << 20);
    assertThat(s.eagerInFlight()).isEqualTo(1);
    assertThat(s.maxInFlight()).isEqualTo(4);
    assertThat(s.capacityTxns()).isEqualTo(65536);
    assertThat(s.capacityBytes()).as("empty: 16 epochs of its bytes").isEqualTo(32L << 20);
    assertThat(s.tenantShareDivisor()).isEqualTo(4);

    InboxSettings flags =
        inbox(
            "node",
            "--config",
            f.toString(),
            "--inbox-eager-in-flight",
            "3",
            "--inbox-capacity-bytes",
            "100000000");
    assertThat(flags.eagerInFlight()).as("flag over file").isEqualTo(3);
    assertThat(flags.capacityBytes()).isEqualTo(100_000_000L);
    assertThat(flags.maxInFlight()).as("from the file").isEqualTo(4);

    CliRun run = CliRun.of("node", "--config", f.toString(), "--print-config");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out())
        .contains(
            "inbox-epoch-interval=20\n", "inbox-capacity-bytes=\n", "inbox-max-in-flight=4\n");
  }

  @Test
  void inboxSettingsTheInboxRefusesAreUsageErrors() {
    CliRun run = base("--inbox-epoch-interval", "0");
    assertThat(run.exitCode()).isEqualTo(ExitCode.USAGE);
    assertThat(run.err()).contains("leader inbox settings", "epochInterval must be positive");

    run = base("--inbox-max-txns-per-epoch", "20000");
    assertThat(run.exitCode()).isEqualTo(ExitCode.USAGE);
    assertThat(run.err()).contains("maxTxnsPerEpoch must be in [1, 10000]");

    run = base("--max-batch-bytes", "1048576", "--inbox-max-bytes-per-epoch", "2097152");
    assertThat(run.exitCode()).isEqualTo(ExitCode.USAGE);
    assertThat(run.err()).contains("maxBytesPerEpoch must be in", "1048576]");

    run = base("--inbox-eager-in-flight", "9");
    assertThat(run.exitCode()).isEqualTo(ExitCode.USAGE);
    assertThat(run.err()).contains("eagerInFlight <= maxInFlight");

    run = base("--inbox-capacity-txns", "4096", "--inbox-tenant-share-divisor", "8");
    assertThat(run.exitCode()).isEqualTo(ExitCode.USAGE);
    assertThat(run.err()).contains("a tenant's share (1/8 of 4096 txns", "must hold a full epoch");

    run = base("--inbox-tenant-share-divisor", "0");
    assertThat(run.exitCode()).isEqualTo(ExitCode.USAGE);
    assertThat(run.err()).contains("tenantShareDivisor must be >= 1");
  }

  @Test
  void raftBindPortSeparatesTheListeningPortFromThePeerAddress() {
    NodeConfig c =
        config(
            "node",
            "--id",
            "n2",
            "--peers",
            PEERS,
            "--data-dir",
            "/tmp/d",
            "--raft-bind-port",
            "17002");
    assertThat(c.raftBindPort()).isEqualTo(17002);
    assertThat(c.self().getAddress()).doesNotEndWith(":17002");
  }

  @Test
  void configFileIsReadAndFlagsOverrideIt() throws IOException {
    Path f =
        file(
            "# node n1",
            "id=n1",
            "peers=" + PEERS,
            "data-dir=" + dir.resolve("data"),
            "vshards=512",
            "hosted=0-255, 300",
            "admin-port=9464",
            "admin-allow=10.0.0.0/8,127.0.0.1",
            "max-txns-per-batch=500",
            "election-timeout-min=800",
            "queue-capacity=");

    NodeConfig c =
        config(
            "node",
            "--config",
            f.toString(),
            "--id",
            "n3",
            "--admin-allow",
            "192.168.0.0/16",
            "--election-timeout-max",
            "1500");

    assertThat(c.nodeId()).as("flag over file").isEqualTo("n3");
    assertThat(c.adminAllowedClients())
        .as("a repeatable flag replaces the file's list")
        .containsExactly("192.168.0.0/16");
    assertThat(c.electionTimeoutMax()).isEqualTo(Duration.ofMillis(1500));
    assertThat(c.electionTimeoutMin()).as("from the file").isEqualTo(Duration.ofMillis(800));
    assertThat(c.dataDir()).isEqualTo(dir.resolve("data"));
    assertThat(c.vshardCount()).isEqualTo(512);
    BitSet hosted = new BitSet();
    hosted.set(0, 256);
    hosted.set(300);
    assertThat(c.hosted()).isEqualTo(hosted);
    assertThat(c.adminPort()).isEqualTo(9464);
    assertThat(c.limits().maxTxnsPerBatch()).isEqualTo(500);
    assertThat(c.queueCapacity())
        .as("empty value: the default")
        .isEqualTo(NodeConfig.DEFAULT_QUEUE_CAPACITY);
  }

  @Test
  void printConfigWritesAFileThatReadsBackTheSame() throws IOException {
    Path f = file("id=n1", "peers=" + PEERS, "data-dir=" + dir, "hosted=0-9,20");
    CliRun run = CliRun.of("node", "--config", f.toString(), "--vshards", "64", "--print-config");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).contains("id=n1\n", "vshards=64\n", "hosted=0-9,20\n", "admin-port=0\n");

    Path printed = dir.resolve("printed.properties");
    Files.writeString(printed, run.out());
    CliRun again = CliRun.of("node", "--config", printed.toString(), "--print-config");
    assertThat(again.exitCode()).isZero();
    assertThat(again.out()).isEqualTo(run.out());
  }

  @Test
  void unknownOrBadFileKeysNameTheFile() throws IOException {
    Path f = file("id=n1", "peers=" + PEERS, "data-dir=" + dir, "datadir=/x");
    CliRun run = CliRun.of("node", "--config", f.toString());
    assertThat(run.exitCode()).isEqualTo(ExitCode.USAGE);
    assertThat(run.err()).contains(f.toString(), "unknown key 'datadir'", "data-dir");

    Path bad = file("id=n1", "peers=" + PEERS, "data-dir=" + dir, "vshards=many");
    run = CliRun.of("node", "--config", bad.toString());
    assertThat(run.exitCode()).isEqualTo(ExitCode.USAGE);
    assertThat(run.err()).contains("config file " + bad, "--vshards", "'many'");

    run = CliRun.of("node", "--config", dir.resolve("missing.properties").toString());
    assertThat(run.exitCode()).isEqualTo(ExitCode.USAGE);
    assertThat(run.err()).contains("config file not found");
  }

  @Test
  void missingAndContradictorySettingsAreUsageErrors() {
    CliRun run = CliRun.of("node", "--peers", PEERS);
    assertThat(run.exitCode()).isEqualTo(ExitCode.USAGE);
    assertThat(run.err()).contains("Missing required setting(s): --id, --data-dir");

    run = CliRun.of("node", "--id", "n9", "--peers", PEERS, "--data-dir", dir.toString());
    assertThat(run.exitCode()).isEqualTo(ExitCode.USAGE);
    assertThat(run.err()).contains("node id n9 is not among the peers");

    run = CliRun.of("node", "--id", "n1", "--peers", "n1@nowhere", "--data-dir", dir.toString());
    assertThat(run.exitCode()).isEqualTo(ExitCode.USAGE);
    assertThat(run.err()).contains("--peers", "expected id@host:port");

    run = base("--admin-allow", "10.0.0.0/99");
    assertThat(run.exitCode()).isEqualTo(ExitCode.USAGE);
    assertThat(run.err()).contains("--admin-allow", "prefix length");

    run = base("--election-timeout-min", "2000", "--election-timeout-max", "1000");
    assertThat(run.exitCode()).isEqualTo(ExitCode.USAGE);
    assertThat(run.err()).contains("election timeout");
  }

  @Test
  void hostedRangesThatCannotWorkAreRefused() {
    assertHostedError("5-3", "is reversed: 5 > 3");
    assertHostedError("x", "bad vshard range 'x'");
    assertHostedError("0-", "bad vshard range '0-'");
    assertHostedError("-1", "bad vshard range '-1'");
    assertHostedError("1,,2", "bad vshard range ''");
    assertHostedError("0-99999999", "bad vshard range");

    CliRun run = base("--vshards", "16", "--hosted", "0-16");
    assertThat(run.exitCode()).isEqualTo(ExitCode.USAGE);
    assertThat(run.err())
        .contains("hosted vshards (--hosted) go up to 16, but the vshard count (--vshards) is 16");
  }

  private void assertHostedError(String ranges, String message) {
    CliRun run = base("--hosted", ranges);
    assertThat(run.exitCode()).as(ranges).isEqualTo(ExitCode.USAGE);
    assertThat(run.err()).as(ranges).contains("Invalid value for option '--hosted'", message);
  }

  private CliRun base(String... more) {
    String[] args = new String[7 + more.length];
    String[] head = {"node", "--id", "n1", "--peers", PEERS, "--data-dir", dir.toString()};
    System.arraycopy(head, 0, args, 0, head.length);
    System.arraycopy(more, 0, args, head.length, more.length);
    String[] withPrint = new String[args.length + 1];
    System.arraycopy(args, 0, withPrint, 0, args.length);
    withPrint[args.length] = "--print-config";
    return CliRun.of(withPrint);
  }
}
