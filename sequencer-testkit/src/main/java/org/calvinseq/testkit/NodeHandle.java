package org.calvinseq.testkit;

import java.io.IOException;
import java.util.Iterator;
import java.util.OptionalLong;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.protocol.NodeStatus;
import org.calvinseq.server.SequencerNode;

/** One running member of a {@link LocalCluster}, in this JVM or in its own process. */
interface NodeHandle {
  /** The node's view of itself, or null when it does not answer. */
  NodeStatus status();

  /** The node's metrics in the Prometheus text format. */
  String scrape() throws IOException;

  /** The node's own replay of {@code vshard} over {@code [from, to]}. */
  Iterator<SequencedTxn> replay(int vshard, long from, long to);

  /** Closes the node cleanly (SIGTERM for a process). */
  void stop() throws IOException;

  /** Ends the node without a chance to clean up (SIGKILL for a process). */
  void kill() throws IOException;

  boolean isAlive();

  /** The port of the node's admin endpoint, or -1 when it has none. */
  int adminPort();

  /** The node object when it runs in this JVM, else null. */
  SequencerNode node();

  /** The process id when the node runs in its own process. */
  OptionalLong pid();
}
