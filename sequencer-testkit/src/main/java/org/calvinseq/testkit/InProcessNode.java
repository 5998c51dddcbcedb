package org.calvinseq.testkit;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.util.Iterator;
import java.util.OptionalLong;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.protocol.NodeStatus;
import org.calvinseq.server.SequencerNode;

/** A member running in this JVM. */
final class InProcessNode implements NodeHandle {
  private final SequencerNode node;
  private volatile boolean alive = true;

  InProcessNode(SequencerNode node) {
    this.node = node;
  }

  @Override
  public NodeStatus status() {
    return alive ? node.status() : null;
  }

  @Override
  public String scrape() throws IOException {
    if (node.meterRegistry() instanceof PrometheusMeterRegistry p) {
      return p.scrape();
    }
    if (node.adminPort() > 0) {
      return AdminHttp.get(node.adminPort(), "/metrics");
    }
    throw new IllegalStateException(
        "node " + node.nodeId() + " has neither a Prometheus registry nor an admin endpoint");
  }

  @Override
  public Iterator<SequencedTxn> replay(int vshard, long from, long to) {
    return node.replay(vshard, from, to);
  }

  @Override
  public void stop() throws IOException {
    alive = false;
    node.close();
  }

  /** In this JVM a kill is a stop: the node gets no chance to do more than Ratis's close. */
  @Override
  public void kill() throws IOException {
    stop();
  }

  @Override
  public boolean isAlive() {
    return alive;
  }

  @Override
  public int adminPort() {
    return node.adminPort();
  }

  @Override
  public SequencerNode node() {
    return node;
  }

  @Override
  public OptionalLong pid() {
    return OptionalLong.empty();
  }
}
