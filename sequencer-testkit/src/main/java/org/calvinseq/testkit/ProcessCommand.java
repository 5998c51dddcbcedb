package org.calvinseq.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.calvinseq.client.Peers;

/**
 * The command line that starts one node of a {@link LocalCluster} as an OS process. The process
 * must run until SIGTERM (then close cleanly) and serve the admin endpoint on {@link
 * NodeLaunch#adminPort()}, which the cluster polls for {@code /status} and {@code /metrics}.
 */
@FunctionalInterface
public interface ProcessCommand {
  List<String> command(NodeLaunch launch);

  /**
   * {@code bin/sequencer node} of the distribution in {@code distDir} (built by {@code mvn package}
   * in {@code sequencer-cli/target/dist}), with the member flags and then {@code extraArgs} (for
   * example {@code --vshards 64}). JVM options go in the {@code JAVA_OPTS} environment variable
   * ({@link LocalCluster.Builder#processEnvironment}). A cluster with proxies passes {@code
   * --raft-bind-port}, which the command must support.
   */
  static ProcessCommand distribution(Path distDir, String... extraArgs) {
    Path script = distDir.resolve("bin").resolve("sequencer");
    if (!Files.isExecutable(script)) {
      throw new IllegalStateException(
          script.toAbsolutePath().normalize()
              + " is not an executable file; build the distribution first (mvn package)");
    }
    return l -> {
      List<String> c = new ArrayList<>();
      c.add(script.toString());
      c.add("node");
      c.addAll(memberFlags(l));
      c.addAll(List.of(extraArgs));
      return c;
    };
  }

  /**
   * {@code java jvmArgs -cp classpath mainClass} with the member flags and then {@code extraArgs}:
   * for a storage engine's own main class that embeds a node and takes the same flags.
   */
  static ProcessCommand javaMain(
      String mainClass, String classpath, List<String> jvmArgs, String... extraArgs) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return l -> {
      List<String> c = new ArrayList<>();
      c.add(java);
      c.addAll(jvmArgs);
      c.add("-cp");
      c.add(classpath);
      c.add(mainClass);
      c.addAll(memberFlags(l));
      c.addAll(List.of(extraArgs));
      return c;
    };
  }

  /**
   * {@code --id --peers --data-dir --admin-port}, {@code --cluster-name} unless the cluster has the
   * default name, and {@code --raft-bind-port} when the node is behind a proxy.
   */
  static List<String> memberFlags(NodeLaunch l) {
    List<String> c = new ArrayList<>();
    c.addAll(List.of("--id", l.nodeId()));
    if (!Peers.DEFAULT_CLUSTER.equals(l.clusterName())) {
      c.addAll(List.of("--cluster-name", l.clusterName()));
    }
    c.addAll(List.of("--peers", l.peers()));
    c.addAll(List.of("--data-dir", l.dataDir().toString()));
    c.addAll(List.of("--admin-port", Integer.toString(l.adminPort())));
    if (l.raftBindPort() >= 0) {
      c.addAll(List.of("--raft-bind-port", Integer.toString(l.raftBindPort())));
    }
    return c;
  }
}
