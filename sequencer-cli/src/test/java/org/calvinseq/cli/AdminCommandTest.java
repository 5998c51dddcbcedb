package org.calvinseq.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Option checks of {@code sequencer admin} that need no cluster. */
class AdminCommandTest {
  private static final String PEERS = "n1@127.0.0.1:1";

  @Test
  void everyAdminCommandIsRegisteredAndNeedsPeers() {
    CliRun admin = CliRun.of("admin");
    assertThat(admin.exitCode()).isEqualTo(2);
    assertThat(admin.err())
        .contains("add-node", "remove-node", "replace-node", "transfer-leader", "snapshot");
    for (String cmd :
        new String[] {"add-node", "remove-node", "replace-node", "transfer-leader", "snapshot"}) {
      CliRun help = CliRun.of("admin", cmd, "--help");
      assertThat(help.exitCode()).isZero();
      assertThat(help.out()).contains("--peers", "--timeout", "--tls-cert", "--version");
      // Options in declaration order (sortOptions = false, inherited from AdminOperation).
      assertThat(help.out().indexOf("--peers")).isLessThan(help.out().indexOf("--help"));
      CliRun version = CliRun.of("admin", cmd, "--version");
      assertThat(version.exitCode()).isZero();
      assertThat(version.out()).isNotBlank();
      CliRun missing = CliRun.of("admin", cmd);
      assertThat(missing.exitCode()).isEqualTo(2);
      assertThat(missing.err()).contains("--peers");
    }
  }

  @Test
  void badNodesAndTlsSettingsAreUsageErrors() {
    CliRun r = CliRun.of("admin", "add-node", "--peers", PEERS, "--node", "n4");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("bad peer 'n4'");
    r = CliRun.of("admin", "add-node", "--peers", PEERS);
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("--node");
    r = CliRun.of("admin", "replace-node", "--peers", PEERS, "--node", "n4@127.0.0.1:2");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("--old");
    r = CliRun.of("admin", "remove-node", "--peers", PEERS, "--node", "n1,n2");
    assertThat(r.exitCode()).isEqualTo(2);
    r = CliRun.of("admin", "snapshot", "--peers", PEERS, "--tls-cert", "/nonexistent.pem");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("all three");
  }

  @Test
  void unreachableClusterFailsWithinTheTimeout() {
    long start = System.nanoTime();
    CliRun r =
        CliRun.of(
            "admin",
            "transfer-leader",
            "--peers",
            "n1@127.0.0.1:1,n2@127.0.0.1:2",
            "--timeout",
            "2s",
            "--node",
            "n2");
    assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
    assertThat(r.err()).contains("no leader found");
    assertThat(System.nanoTime() - start).isLessThan(20_000_000_000L);
  }
}
