package org.calvinseq.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.calvinseq.client.SequencerClient;
import org.calvinseq.client.TlsFiles;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.testkit.LocalCluster;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutual TLS: a three-node cluster with TLS on sequences the proposals of a client whose
 * certificate its CA signed, and refuses a plaintext client and a client whose certificate another
 * CA signed. Certificates are made with {@code openssl} for the test.
 */
class TlsIT {
  private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(5);

  @TempDir static Path certs;

  private static TlsFiles server;
  private static TlsFiles client;
  private static TlsFiles rogueClient;

  @BeforeAll
  static void makeCertificates() throws Exception {
    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=calvinseq-test-ca");
    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "rogue-ca.key",
        "-out",
        "rogue-ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=calvinseq-rogue-ca");
    Files.writeString(
        certs.resolve("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n" + "extendedKeyUsage=serverAuth,clientAuth\n",
        StandardCharsets.US_ASCII);
    Files.writeString(
        certs.resolve("client.ext"), "extendedKeyUsage=clientAuth\n", StandardCharsets.US_ASCII);
    signed("server", "ca", "/CN=127.0.0.1", "server.ext");
    signed("client", "ca", "/CN=calvinseq-test-client", "client.ext");
    signed("rogue-client", "rogue-ca", "/CN=calvinseq-rogue-client", "client.ext");
    server = files("server", "ca");
    client = files("client", "ca");
    rogueClient = files("rogue-client", "ca");
  }

  @Test
  void clusterWithTlsServesCertifiedClientsOnly() throws Exception {
    try (LocalCluster cluster =
        LocalCluster.builder()
            .nodes(3)
            .configure(b -> b.vshardCount(8).tls(server))
            .build()
            .start()) {
      cluster.awaitLeader(Duration.ofSeconds(30));
      String peers = cluster.peersString();

      try (SequencerClient c = SequencerClient.builder().peers(peers).tls(client).build()) {
        BatchReceipt r =
            c.propose(TestTxns.batch(new Random(5), 3, 16, 1, 0)).get(30, TimeUnit.SECONDS);
        assertThat(r.sequenced()).isTrue();
        cluster.awaitApplied(r.epoch(), Duration.ofSeconds(10));
        assertThat(c.status()).allSatisfy(s -> assertThat(s.reachable()).isTrue());
      }

      // The command line, client and admin commands, with the TLS flags.
      String[] tls = {
        "--tls-cert", client.certChain().toString(),
        "--tls-key", client.privateKey().toString(),
        "--tls-ca", client.trustedCa().toString()
      };
      assertThat(cli("status", "--peers", peers, tls[0], tls[1], tls[2], tls[3], tls[4], tls[5]))
          .contains("LEADER");
      assertThat(
              cli(
                  "admin",
                  "snapshot",
                  "--peers",
                  peers,
                  tls[0],
                  tls[1],
                  tls[2],
                  tls[3],
                  tls[4],
                  tls[5]))
          .containsPattern("snapshot: leader at log index \\d+");

      refused(SequencerClient.builder().peers(peers), "a plaintext client");
      refused(SequencerClient.builder().peers(peers).tls(rogueClient), "another CA's client");
    }
  }

  private static void refused(org.calvinseq.client.SequencerClientBuilder b, String who)
      throws IOException {
    long start = System.nanoTime();
    try (SequencerClient c =
        b.callTimeout(CLIENT_TIMEOUT).requestTimeout(Duration.ofSeconds(1)).build()) {
      assertThatThrownBy(
              () ->
                  c.propose(TestTxns.batch(new Random(6), 1, 16, 2, 0))
                      .get(CLIENT_TIMEOUT.toSeconds() + 20, TimeUnit.SECONDS))
          .as(who)
          .isInstanceOf(java.util.concurrent.ExecutionException.class);
      assertThat(c.status()).as(who).allSatisfy(s -> assertThat(s.reachable()).isFalse());
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .as(who + " gives up within its timeout")
        .isLessThan(CLIENT_TIMEOUT.plusSeconds(20));
  }

  private static String cli(String... args) {
    picocli.CommandLine cl = org.calvinseq.cli.SequencerCli.commandLine();
    java.io.StringWriter out = new java.io.StringWriter();
    java.io.StringWriter err = new java.io.StringWriter();
    cl.setOut(new java.io.PrintWriter(out, true));
    cl.setErr(new java.io.PrintWriter(err, true));
    int code = cl.execute(args);
    assertThat(code).as("sequencer %s: %s", String.join(" ", args), err).isZero();
    return out.toString();
  }

  private static TlsFiles files(String name, String ca) {
    return new TlsFiles(
        certs.resolve(name + ".pem"), certs.resolve(name + ".key"), certs.resolve(ca + ".pem"));
  }

  private static void signed(String name, String ca, String subject, String ext) throws Exception {
    openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        name + ".key",
        "-out",
        name + ".csr",
        "-subj",
        subject);
    openssl(
        "x509",
        "-req",
        "-in",
        name + ".csr",
        "-CA",
        ca + ".pem",
        "-CAkey",
        ca + ".key",
        "-CAcreateserial",
        "-out",
        name + ".pem",
        "-days",
        "2",
        "-extfile",
        ext);
  }

  private static void openssl(String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add("openssl");
    cmd.addAll(List.of(args));
    Process p =
        new ProcessBuilder(cmd)
            .directory(certs.toFile())
            .redirectErrorStream(true)
            .redirectOutput(certs.resolve("openssl.log").toFile())
            .start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("openssl finished").isTrue();
    assertThat(p.exitValue())
        .as(
            "openssl %s: %s",
            String.join(" ", args), Files.readString(certs.resolve("openssl.log")))
        .isZero();
  }
}
