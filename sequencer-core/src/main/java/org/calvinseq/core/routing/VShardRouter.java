package org.calvinseq.core.routing;

import org.calvinseq.core.model.Key;

/**
 * Maps keys to virtual shards. Implementations must be pure functions of the key and the vshard
 * count: every node, and every storage engine in any language, must get the same answer.
 */
public interface VShardRouter {
  int DEFAULT_VSHARD_COUNT = 1024;

  /** The number of vshards, fixed for the cluster's life. */
  int vshardCount();

  /** The vshard of {@code key}, in {@code [0, vshardCount())}. */
  int vshardOf(Key key);
}
