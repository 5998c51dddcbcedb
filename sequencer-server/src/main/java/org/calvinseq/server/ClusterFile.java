package org.calvinseq.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;

/**
 * {@code calvinseq-cluster.properties} in a node's data directory: the cluster name and the vshard
 * count the directory was first started with. Both are fixed for a cluster's life, so a node
 * refuses to start with others.
 */
final class ClusterFile {
  static final String NAME = "calvinseq-cluster.properties";

  private ClusterFile() {}

  /**
   * Writes the file on a first start (atomically), else checks {@code config} against it.
   *
   * @throws IllegalStateException when the data directory belongs to another cluster name or vshard
   *     count
   */
  static void checkOrCreate(NodeConfig config) throws IOException {
    Path f = config.dataDir().resolve(NAME);
    Properties p = new Properties();
    if (Files.exists(f)) {
      try (InputStream in = Files.newInputStream(f)) {
        p.load(in);
      }
      String storedCluster = p.getProperty("clusterName", config.clusterName());
      if (!storedCluster.equals(config.clusterName())) {
        throw new IllegalStateException(
            "node "
                + config.nodeId()
                + " refuses to start: its data directory "
                + config.dataDir()
                + " belongs to cluster '"
                + storedCluster
                + "', but it was started with cluster name '"
                + config.clusterName()
                + "'");
      }
      int stored = Integer.parseInt(p.getProperty("vshardCount", "-1"));
      if (stored != config.vshardCount()) {
        throw new IllegalStateException(
            "node "
                + config.nodeId()
                + " refuses to start: its data directory "
                + config.dataDir()
                + " belongs to a cluster with vshardCount="
                + stored
                + ", but it was started with vshardCount="
                + config.vshardCount()
                + "; the vshard count is fixed for a cluster's life");
      }
      return;
    }
    p.setProperty("vshardCount", Integer.toString(config.vshardCount()));
    p.setProperty("clusterName", config.clusterName());
    Path tmp = f.resolveSibling(NAME + ".tmp");
    try (OutputStream out = Files.newOutputStream(tmp)) {
      p.store(out, "calvinseq cluster identity; do not edit");
    }
    Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE);
  }
}
