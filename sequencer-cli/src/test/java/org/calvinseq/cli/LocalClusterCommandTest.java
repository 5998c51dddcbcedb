package org.calvinseq.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.ExitCode;

/** A one-member local cluster in this JVM (the three-member one runs in DistributionIT). */
class LocalClusterCommandTest {
  private static final Pattern PEERS = Pattern.compile("(?m)^peers: (\\S+)$");

  @TempDir Path dir;

  @Test
  void runsWithDemoLoadAndResumesOnTheSamePorts() throws IOException {
    Path data = dir.resolve("cluster");
    CliRun first =
        CliRun.of(
            "local-cluster",
            "--nodes",
            "1",
            "--data-dir",
            data.toString(),
            "--demo-load",
            "--demo-rate",
            "20",
            "--demo-batch-size",
            "10",
            "--duration",
            "2s");
    assertThat(first.exitCode()).as(first.err()).isZero();
    assertThat(first.out())
        .contains("data dir: " + data.toAbsolutePath())
        .containsPattern("(?m)^peers: n1@127\\.0\\.0\\.1:\\d+$")
        .containsPattern("(?m)^admin n1: http://127\\.0\\.0\\.1:\\d+$")
        .containsPattern("(?m)^leader: n1$")
        .containsPattern("(?m)^progress: epochs applied \\d+, \\d+ txns/s, leader n1");
    assertThat(data.resolve(ClusterLayout.FILE)).exists();
    assertThat(data.resolve("n1")).isDirectory();

    CliRun second =
        CliRun.of("local-cluster", "--data-dir", data.toString(), "--duration", "500ms");
    assertThat(second.exitCode()).as(second.err()).isZero();
    assertThat(peers(second.out())).as("same member, same port").isEqualTo(peers(first.out()));
    assertThat(second.out()).doesNotContain("progress:");
  }

  @Test
  void refusesADirectoryItDidNotCreateOrAnotherMemberCount() throws IOException {
    Path other = Files.createDirectories(dir.resolve("other"));
    Files.writeString(other.resolve("something"), "x");
    CliRun run = CliRun.of("local-cluster", "--data-dir", other.toString(), "--duration", "1s");
    assertThat(run.exitCode()).isEqualTo(ExitCode.USAGE);
    assertThat(run.err()).contains("is not empty and holds no " + ClusterLayout.FILE);

    Path data = Files.createDirectories(dir.resolve("three"));
    ClusterLayout.fresh(3).store(data);
    run = CliRun.of("local-cluster", "--data-dir", data.toString(), "--nodes", "1");
    assertThat(run.exitCode()).isEqualTo(ExitCode.USAGE);
    assertThat(run.err()).contains("holds a 3-member cluster, not 1");
  }

  @Test
  void layoutSurvivesAStoreAndLoad() throws IOException {
    ClusterLayout layout = ClusterLayout.fresh(3).withAdminPortBase(9464);
    layout.store(dir);
    assertThat(ClusterLayout.load(dir)).isEqualTo(layout);
    assertThat(layout.adminPorts()).containsExactly(9464, 9465, 9466);
    assertThat(layout.peersString()).matches("n1@127\\.0\\.0\\.1:\\d+,n2@.*,n3@.*");
  }

  private static String peers(String out) {
    Matcher m = PEERS.matcher(out);
    assertThat(m.find()).as(out).isTrue();
    return m.group(1);
  }
}
