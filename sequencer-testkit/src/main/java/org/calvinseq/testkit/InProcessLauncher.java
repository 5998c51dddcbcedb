package org.calvinseq.testkit;

import java.io.IOException;
import java.util.List;
import java.util.function.Consumer;
import org.calvinseq.server.SequencerNode;
import org.calvinseq.server.SequencerNodeBuilder;

/** Starts members as {@link SequencerNode}s in this JVM, one after the other. */
final class InProcessLauncher implements NodeLauncher {
  private final Members members;
  private final boolean adminEndpoints;
  private final Consumer<SequencerNodeBuilder> customizer;
  private final LocalCluster.NodeLifecycle lifecycle;

  InProcessLauncher(
      Members members,
      boolean adminEndpoints,
      Consumer<SequencerNodeBuilder> customizer,
      LocalCluster.NodeLifecycle lifecycle) {
    this.members = members;
    this.adminEndpoints = adminEndpoints;
    this.customizer = customizer;
    this.lifecycle = lifecycle;
  }

  @Override
  public void start(List<Integer> which, Launched launched) throws IOException {
    for (int i : which) {
      SequencerNodeBuilder b =
          SequencerNode.builder()
              .nodeId(members.nodeId(i))
              .clusterName(members.clusterName())
              .peers(members.peers())
              .dataDir(members.dataDir(i))
              .adminPort(adminEndpoints ? 0 : -1);
      if (members.raftBindPort(i) >= 0) {
        b.raftBindPort(members.raftBindPort(i));
      }
      customizer.accept(b);
      SequencerNode n = b.build();
      n.start();
      launched.launched(i, new InProcessNode(n));
      lifecycle.started(i, n);
    }
  }

  @Override
  public void stopping(int index, NodeHandle node, boolean killed) {
    lifecycle.stopping(index, node.node(), killed);
  }

  @Override
  public boolean inProcess() {
    return true;
  }
}
