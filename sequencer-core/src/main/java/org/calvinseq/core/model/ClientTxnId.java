package org.calvinseq.core.model;

/**
 * A client's own identifier for a transaction: a client id and a per-client sequence number (16
 * bytes on the wire). Used to de-duplicate retries and to correlate submissions with their {@link
 * TxnId}.
 */
public record ClientTxnId(long clientId, long sequence) {
  public static final int WIRE_BYTES = 16;

  @Override
  public String toString() {
    return Long.toUnsignedString(clientId, 16) + "/" + sequence;
  }
}
