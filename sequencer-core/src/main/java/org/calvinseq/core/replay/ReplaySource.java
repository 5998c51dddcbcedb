package org.calvinseq.core.replay;

import java.util.Iterator;
import org.calvinseq.core.model.SequencedTxn;

/** Where a consumer that fell behind gets the txns it missed: the node's own log, or a client. */
public interface ReplaySource {
  /** The last epoch committed and applied, or -1 if none: the upper bound for a rebuild. */
  long currentCommittedEpoch();

  /**
   * The txns of {@code vshard} in epochs {@code [fromEpoch, toEpoch]}, in (epoch, position) order,
   * exactly as the live path delivered or would have delivered them. Lazy: the range never has to
   * fit in memory.
   *
   * @throws ReplayUnavailableException if part of the range is no longer retained
   */
  Iterator<SequencedTxn> replay(int vshard, long fromEpoch, long toEpoch);
}
