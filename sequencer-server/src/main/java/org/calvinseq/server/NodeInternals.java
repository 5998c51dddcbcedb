package org.calvinseq.server;

import org.apache.ratis.server.RaftServer;
import org.calvinseq.core.apply.EpochStateMachine;

/**
 * Not API: reaches inside a {@link SequencerNode} for tests and diagnostics that check the apply
 * path or the Raft log directly (the integration tests compare replicas' epoch indexes, read a Raft
 * log, and so on). An engine never needs it: everything it does goes through {@link
 * SequencerNode}'s own methods (docs/embedding.md), and a test in integration-tests keeps the
 * example engine and the CLI off this class. It may change or go away in any release.
 */
public final class NodeInternals {
  private NodeInternals() {}

  /** The node's deterministic core: queues, epoch index, completions. */
  public static EpochStateMachine core(SequencerNode node) {
    return node.core();
  }

  /** The node's Ratis server, or null before {@link SequencerNode#start()}. */
  public static RaftServer raftServer(SequencerNode node) {
    return node.raftServer();
  }
}
