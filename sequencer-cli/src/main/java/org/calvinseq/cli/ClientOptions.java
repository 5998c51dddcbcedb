package org.calvinseq.cli;

import java.time.Duration;
import org.calvinseq.client.Peers;
import org.calvinseq.client.SequencerClient;
import org.calvinseq.client.SequencerClientBuilder;
import picocli.CommandLine.Option;

/** The options every client command takes: where the cluster is and how long to wait for it. */
final class ClientOptions {
  @Option(
      names = "--peers",
      required = true,
      paramLabel = "PEERS",
      description =
          "The cluster's members as local-cluster prints them: id@host:port,..."
              + " (e.g. n1@127.0.0.1:7001,n2@127.0.0.1:7002,n3@127.0.0.1:7003).")
  String peers;

  @Option(
      names = "--cluster-name",
      paramLabel = "NAME",
      defaultValue = Peers.DEFAULT_CLUSTER,
      description = "The cluster name the Raft group id derives from. Default: ${DEFAULT-VALUE}.")
  String clusterName;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      defaultValue = "15s",
      converter = Durations.class,
      description =
          "How long one call may take, retries included, before the command reports the"
              + " cluster unavailable. Default: ${DEFAULT-VALUE}.")
  Duration timeout;

  @Option(
      names = "--tls-cert",
      paramLabel = "FILE",
      description =
          "The client's certificate chain (PEM) for mutual TLS, when the nodes run with TLS."
              + " With --tls-key and --tls-ca. Default: no TLS.")
  java.nio.file.Path tlsCert;

  @Option(
      names = "--tls-key",
      paramLabel = "FILE",
      description = "The private key of --tls-cert (PEM, PKCS#8, unencrypted).")
  java.nio.file.Path tlsKey;

  @Option(
      names = "--tls-ca",
      paramLabel = "FILE",
      description = "The CA certificate (PEM) that the nodes' certificates must chain to.")
  java.nio.file.Path tlsCa;

  /** A client builder with these options; the caller may tune it further. */
  SequencerClientBuilder builder() {
    Duration request =
        timeout.compareTo(Duration.ofSeconds(3)) < 0 ? timeout : Duration.ofSeconds(3);
    return SequencerClient.builder()
        .peers(peers)
        .clusterName(clusterName)
        .callTimeout(timeout)
        .requestTimeout(request)
        .tls(org.calvinseq.client.TlsFiles.ofNullable(tlsCert, tlsKey, tlsCa));
  }
}
