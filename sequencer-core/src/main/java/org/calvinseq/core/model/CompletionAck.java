package org.calvinseq.core.model;

import java.util.Objects;

/**
 * A participant's report that it executed its share of a transaction.
 *
 * @param txnId the transaction
 * @param vshard the participating vshard that is done
 * @param participants how many vshards participate in the transaction (the engine knows this from
 *     the txn's keys and the router); the txn completes when that many distinct vshards acked
 */
public record CompletionAck(TxnId txnId, int vshard, int participants) {
  public CompletionAck {
    Objects.requireNonNull(txnId, "txnId");
    if (vshard < 0) {
      throw new IllegalArgumentException("vshard must be >= 0: " + vshard);
    }
    if (participants < 1) {
      throw new IllegalArgumentException("participants must be >= 1: " + participants);
    }
  }
}
