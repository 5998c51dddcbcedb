package org.calvinseq.server.cli;

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

  /** A client builder with these options; the caller may tune it further. */
  SequencerClientBuilder builder() {
    Duration request =
        timeout.compareTo(Duration.ofSeconds(3)) < 0 ? timeout : Duration.ofSeconds(3);
    return SequencerClient.builder()
        .peers(peers)
        .clusterName(clusterName)
        .callTimeout(timeout)
        .requestTimeout(request);
  }
}
