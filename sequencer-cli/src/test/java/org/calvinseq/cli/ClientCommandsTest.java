package org.calvinseq.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Option checks of the client commands that need no cluster. */
class ClientCommandsTest {
  private static final String PEERS = "n1@127.0.0.1:1";

  @Test
  void everyClientCommandIsRegisteredAndNeedsPeers() {
    for (String cmd : new String[] {"propose", "replay", "status", "bench"}) {
      CliRun help = CliRun.of(cmd, "--help");
      assertThat(help.exitCode()).isZero();
      assertThat(help.out()).contains("--peers");
      CliRun missing = CliRun.of(cmd);
      assertThat(missing.exitCode()).isEqualTo(2);
      assertThat(missing.err()).contains("--peers");
    }
  }

  @Test
  void badPeersAndRangesAreUsageErrors() {
    CliRun r = CliRun.of("status", "--peers", "n1@localhost");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("bad peer 'n1@localhost'");
    r = CliRun.of("replay", "--peers", PEERS, "--vshard", "1", "--from", "5", "--to", "4");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("--to >= --from");
    r = CliRun.of("replay", "--peers", PEERS, "--vshard", "1", "--from", "0", "--peer", "n7");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("--peer n7 is not one of --peers");
    r = CliRun.of("bench", "--peers", PEERS, "--batch-size", "100", "--max-outstanding", "10");
    assertThat(r.exitCode()).isEqualTo(2);
    r = CliRun.of("bench", "--peers", PEERS, "--duration", "soon");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("bad duration 'soon'");
  }

  @Test
  void benchTakesAtMostOneClientInstancePerThread() {
    assertThat(CliRun.of("bench", "--help").out())
        .contains("--client-instances")
        .contains("--metrics-url")
        .contains("--cpu-pid");
    for (String n : new String[] {"0", "5"}) {
      CliRun r = CliRun.of("bench", "--peers", PEERS, "--clients", "4", "--client-instances", n);
      assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
      assertThat(r.err()).contains("1 <= --client-instances <= --clients");
    }
    CliRun r = CliRun.of("bench", "--peers", PEERS, "--metrics-url", "http://bad host/");
    assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
    assertThat(r.err()).contains("bad --metrics-url");
  }

  @Test
  void statusOfAnUnreachableClusterListsEveryPeerAndFails() {
    CliRun r =
        CliRun.of(
            "status", "--peers", "n1@127.0.0.1:1,n2@127.0.0.1:2,n3@127.0.0.1:3", "--timeout", "1s");
    assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
    assertThat(r.out()).contains("PEER").contains("UNREACHABLE");
    assertThat(r.out().lines().filter(l -> l.contains("UNREACHABLE"))).hasSize(3);
  }

  /**
   * The Raft group id is a name-based (version 3) UUID of "calvinseq:" + the cluster name, which
   * tools such as ratis-shell need; status prints it. The expected values were computed outside
   * Java: MD5 of the UTF-8 bytes with the version and variant bits set (RFC 4122).
   */
  @Test
  void statusPrintsTheRaftGroupIdDerivedFromTheClusterName() {
    CliRun r = CliRun.of("status", "--peers", "n1@127.0.0.1:1", "--timeout", "1s");
    assertThat(r.out())
        .contains("cluster calvinseq: Raft group id 30e87bda-4160-3a20-ac8d-ca2c0e4ba05b");
    CliRun local =
        CliRun.of(
            "status", "--peers", "n1@127.0.0.1:1", "--cluster-name", "local", "--timeout", "1s");
    assertThat(local.out())
        .contains("cluster local: Raft group id 56ad6c63-d94c-38cd-96b7-86d32f0bd7b3");
  }
}
