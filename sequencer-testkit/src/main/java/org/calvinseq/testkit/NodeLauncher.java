package org.calvinseq.testkit;

import java.io.IOException;
import java.util.List;

/**
 * How a {@link LocalCluster} starts its members: in this JVM ({@link InProcessLauncher}) or as OS
 * processes ({@link ProcessLauncher}). The cluster keeps the handles; a launcher only makes them.
 */
interface NodeLauncher {
  /** Hears each handle a launcher made, before the member is known to be up. */
  @FunctionalInterface
  interface Launched {
    void launched(int index, NodeHandle node);
  }

  /**
   * Starts members {@code which} (concurrently where it can) and returns once each one is up;
   * reports every handle it makes to {@code launched}, a member started again after a failed
   * attempt once more.
   */
  void start(List<Integer> which, Launched launched) throws IOException;

  /** Member {@code index} is about to stop; {@code killed} when it gets no chance to clean up. */
  void stopping(int index, NodeHandle node, boolean killed);

  /** True when the members run in this JVM. */
  boolean inProcess();
}
