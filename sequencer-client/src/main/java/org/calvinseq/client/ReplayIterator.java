package org.calvinseq.client;

import java.util.Iterator;
import org.calvinseq.core.model.SequencedTxn;

/**
 * The txns of a remote replay, in order, and, once they are exhausted, through which epoch the
 * requested range is complete: a replay stops at the last epoch the serving node had applied, so a
 * caller asking for {@code [from, to]} with {@code to} beyond it gets {@code [from, applied]}.
 */
public interface ReplayIterator extends Iterator<SequencedTxn> {
  /**
   * After {@link #hasNext()} has returned false: the last epoch through which the requested range
   * {@code [fromEpoch, toEpoch]} is complete. {@code toEpoch} when the serving node had applied it;
   * otherwise the last epoch that node had applied, and {@code fromEpoch - 1} when it had applied
   * none of the range. Replay again from the next epoch for the rest.
   *
   * @throws IllegalStateException while txns may still follow (before {@code hasNext()} returned
   *     false)
   */
  long completeThroughEpoch();
}
