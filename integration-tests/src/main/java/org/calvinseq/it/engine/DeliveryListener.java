package org.calvinseq.it.engine;

import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.TxnId;

/**
 * Hears what each vshard scheduler does, on the scheduler's thread: for tests that record the
 * history of every consumer. Must be quick and must not throw.
 */
public interface DeliveryListener {
  DeliveryListener NONE = new DeliveryListener() {};

  /**
   * The scheduler of {@code vshard} (re)subscribed: it has applied everything through {@code
   * throughEpoch}, {@code last} (null: nothing) being its last txn; what it applies next follows.
   */
  default void subscribed(String nodeId, int vshard, long throughEpoch, TxnId last) {}

  /** The scheduler of {@code vshard} applied {@code txn}. */
  default void applied(String nodeId, int vshard, SequencedTxn txn) {}

  /**
   * The scheduler of {@code vshard} could not replay what it missed and took a peer replica's
   * checkpoint instead: it now stands at {@code throughEpoch} without having applied the txns in
   * between.
   */
  default void adopted(String nodeId, int vshard, long throughEpoch, TxnId last) {}
}
