package org.calvinseq.client;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;

/**
 * The files of mutual TLS on the Raft and client gRPC traffic, all PEM: this party's certificate
 * chain, its private key (PKCS#8, unencrypted) and the CA certificate(s) it trusts. Nodes and
 * clients present their certificate and accept only peers whose certificate the CA signed; a node's
 * certificate must name the host of its peer address (as an IP or DNS subject alternative name),
 * and is also its client certificate when it talks to the other nodes.
 *
 * @param certChain this party's certificate chain
 * @param privateKey its private key
 * @param trustedCa the CA certificate(s) peers' certificates must chain to
 */
public record TlsFiles(Path certChain, Path privateKey, Path trustedCa) {
  public TlsFiles {
    Objects.requireNonNull(certChain, "certChain");
    Objects.requireNonNull(privateKey, "privateKey");
    Objects.requireNonNull(trustedCa, "trustedCa");
  }

  /**
   * The files, or null when none is given.
   *
   * @throws IllegalArgumentException when only some are given or one is not a readable file
   */
  public static TlsFiles ofNullable(Path certChain, Path privateKey, Path trustedCa) {
    if (certChain == null && privateKey == null && trustedCa == null) {
      return null;
    }
    if (certChain == null || privateKey == null || trustedCa == null) {
      throw new IllegalArgumentException(
          "TLS needs all three of the certificate, the private key and the CA certificate");
    }
    TlsFiles f = new TlsFiles(certChain, privateKey, trustedCa);
    f.check();
    return f;
  }

  /** Fails with the name of the first file that is not a readable regular file. */
  public void check() {
    for (Path p : new Path[] {certChain, privateKey, trustedCa}) {
      if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
        throw new IllegalArgumentException("TLS file " + p + " is not a readable file");
      }
    }
  }

  /** Ratis's TLS configuration of these files, mutual authentication on. */
  public GrpcTlsConfig grpcTlsConfig() {
    return new GrpcTlsConfig(privateKey.toFile(), certChain.toFile(), trustedCa.toFile(), true);
  }

  /** Ratis parameters that turn TLS on for every gRPC channel (server, client and admin). */
  public Parameters ratisParameters() {
    Parameters p = new Parameters();
    GrpcConfigKeys.TLS.setConf(p, grpcTlsConfig());
    return p;
  }
}
