package org.calvinseq.core.codec;

import java.util.List;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.Txn;

/**
 * Upper bounds of encoded sizes, computed without encoding: what a batcher or the leader's inbox
 * adds up to keep an entry within {@link ProposalLimits#maxBatchBytes()}. A batch whose txns'
 * {@link #txnBound bounds} plus {@link #BATCH_OVERHEAD} fit a limit encodes within it.
 */
public final class EncodedSize {
  /**
   * Encoded bytes of a batch beyond its txns, at most: entry map, version, type, epoch, proposer
   * time and the txn array's header, each at its widest form (31 bytes), rounded up.
   */
  public static final int BATCH_OVERHEAD = 64;

  /**
   * What a client txn id adds to {@link #txnBound}: its key and its value at the widest (in a
   * grouped batch, the id that takes the place of the group's nil, 17 bytes more).
   */
  public static final int CLIENT_TXN_ID_BOUND = 1 + 2 + ClientTxnId.WIRE_BYTES;

  /**
   * What {@link #txnBound} charges every txn for the group it may head in a grouped batch
   * (docs/wire-format.md, 3a), as if each were alone in its group: the group's 2-element array, a
   * nil in place of its client txn id, and its txn array's header at the widest.
   */
  public static final int GROUP_BOUND = 1 + 1 + 5;

  private EncodedSize() {}

  /**
   * An upper bound of the msgpack bytes {@code t} takes in a batch entry of either format ({@link
   * EntryEncoder#writeTxn}): every header at its widest form, every UTF-16 char of a collection
   * name at 3 UTF-8 bytes, and its own group in a grouped batch. Saturates at {@link
   * Integer#MAX_VALUE}.
   */
  public static int txnBound(Txn t) {
    long n = 1 + GROUP_BOUND; // map header
    n += t.clientTxnId() == null ? 0 : CLIENT_TXN_ID_BOUND;
    n += 1 + 9; // tenant
    n += 1 + keysBound(t.readSet());
    n += 1 + keysBound(t.writeSet());
    n += 1 + 5 + t.payloadLength();
    return (int) Math.min(Integer.MAX_VALUE, n);
  }

  private static long keysBound(List<Key> keys) {
    long n = 5;
    for (int i = 0, size = keys.size(); i < size; i++) {
      Key k = keys.get(i);
      n += 1 + 5 + 3L * k.collection().length() + 5 + k.keyLength();
    }
    return n;
  }
}
