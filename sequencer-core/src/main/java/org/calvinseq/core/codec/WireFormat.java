package org.calvinseq.core.codec;

/**
 * Field numbers and constants of the wire format; {@code docs/wire-format.md} is the normative
 * description. Every entry is a msgpack map keyed by these small integers, written in ascending key
 * order with the shortest msgpack encoding of each value.
 */
public final class WireFormat {
  private WireFormat() {}

  /** The format version this code writes and the only one it reads. */
  public static final int VERSION = 1;

  public static final int TYPE_BATCH = 1;
  public static final int TYPE_ACK = 2;

  // Entry fields.
  public static final int ENTRY_VERSION = 0;
  public static final int ENTRY_TYPE = 1;
  public static final int BATCH_EPOCH = 2;
  public static final int BATCH_PROPOSER_MS = 3;
  public static final int BATCH_TXNS = 4;
  public static final int ACK_ACKS = 5;

  // Txn fields.
  public static final int TXN_CLIENT_ID = 1;
  public static final int TXN_TENANT = 2;
  public static final int TXN_READ_SET = 3;
  public static final int TXN_WRITE_SET = 4;
  public static final int TXN_PAYLOAD = 5;

  // Ack fields.
  public static final int ACK_EPOCH = 1;
  public static final int ACK_POSITION = 2;
  public static final int ACK_VSHARD = 3;
  public static final int ACK_PARTICIPANTS = 4;
}
