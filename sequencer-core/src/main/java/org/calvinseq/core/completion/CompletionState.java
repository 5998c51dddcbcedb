package org.calvinseq.core.completion;

import org.calvinseq.core.model.TxnId;

/**
 * Completion state of a txn on one node, as {@link CompletionRegistry#query} answers it.
 *
 * @param outcome what the node can say; {@link CompletionOutcome#UNKNOWN} from older nodes that
 *     neither completed nor had acks of it
 * @param acked the vshards that acked it, ascending; empty unless COMPLETED or PENDING
 * @param evictedThroughEpoch for EVICTED: the eviction watermark's epoch; -1 otherwise
 * @param evictedAtMs for EVICTED: the epoch time of the node's last eviction, by which the state
 *     was gone; -1 otherwise
 */
public record CompletionState(
    TxnId txnId,
    CompletionOutcome outcome,
    int[] acked,
    long evictedThroughEpoch,
    long evictedAtMs) {
  public boolean completed() {
    return outcome == CompletionOutcome.COMPLETED;
  }
}
