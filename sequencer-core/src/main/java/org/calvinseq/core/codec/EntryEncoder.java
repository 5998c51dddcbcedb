package org.calvinseq.core.codec;

import static org.calvinseq.core.codec.WireFormat.*;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.calvinseq.core.model.AckBatch;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.ClusterInit;
import org.calvinseq.core.model.CompletionAck;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.SequencerEntry;
import org.calvinseq.core.model.Txn;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePacker;

/**
 * Encodes entries canonically: map keys ascending, shortest integer forms, sets already sorted and
 * unique by the model, so equal values give equal bytes. Stateless and thread-safe.
 */
public final class EntryEncoder {
  private EntryEncoder() {}

  public static byte[] encode(SequencerEntry entry) {
    MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
    try {
      write(p, entry);
      return p.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException("in-memory msgpack buffer failed", e);
    }
  }

  public static void write(MessagePacker p, SequencerEntry entry) throws IOException {
    if (entry instanceof EpochBatch b) {
      writeBatch(p, b);
    } else if (entry instanceof AckBatch a) {
      writeAcks(p, a);
    } else {
      writeInit(p, (ClusterInit) entry);
    }
  }

  private static void writeInit(MessagePacker p, ClusterInit init) throws IOException {
    boolean rules = init.rulesVersion() != ClusterInit.FIRST_RULES_VERSION;
    p.packMapHeader(rules ? 5 : 4);
    p.packInt(ENTRY_VERSION).packInt(VERSION);
    p.packInt(ENTRY_TYPE).packInt(TYPE_CLUSTER_INIT);
    p.packInt(INIT_VSHARD_COUNT).packInt(init.vshardCount());
    p.packInt(INIT_CLUSTER_NAME).packString(init.clusterName());
    if (rules) {
      p.packInt(INIT_RULES_VERSION).packInt(init.rulesVersion());
    }
  }

  private static void writeBatch(MessagePacker p, EpochBatch b) throws IOException {
    p.packMapHeader(b.hasEpoch() ? 5 : 4);
    p.packInt(ENTRY_VERSION).packInt(VERSION);
    p.packInt(ENTRY_TYPE).packInt(TYPE_BATCH);
    if (b.hasEpoch()) {
      p.packInt(BATCH_EPOCH).packLong(b.epoch());
    }
    p.packInt(BATCH_PROPOSER_MS).packLong(b.proposerMs());
    p.packInt(BATCH_TXNS);
    List<Txn> txns = b.txns();
    p.packArrayHeader(txns.size());
    for (Txn t : txns) {
      writeTxn(p, t);
    }
  }

  /** Writes one txn map; also the unit the encoded-size limits are measured in. */
  public static void writeTxn(MessagePacker p, Txn t) throws IOException {
    ClientTxnId id = t.clientTxnId();
    p.packMapHeader(id == null ? 4 : 5);
    if (id != null) {
      p.packInt(TXN_CLIENT_ID).packBinaryHeader(ClientTxnId.WIRE_BYTES);
      byte[] b = new byte[ClientTxnId.WIRE_BYTES];
      putLong(b, 0, id.clientId());
      putLong(b, 8, id.sequence());
      p.writePayload(b);
    }
    p.packInt(TXN_TENANT);
    packUnsigned64(p, t.tenantId());
    p.packInt(TXN_READ_SET);
    writeKeys(p, t.readSet());
    p.packInt(TXN_WRITE_SET);
    writeKeys(p, t.writeSet());
    byte[] payload = t.payload();
    p.packInt(TXN_PAYLOAD).packBinaryHeader(payload.length).writePayload(payload);
  }

  private static void writeKeys(MessagePacker p, List<Key> keys) throws IOException {
    p.packArrayHeader(keys.size());
    for (Key k : keys) {
      byte[] kb = k.keyUnsafe();
      p.packArrayHeader(2).packString(k.collection());
      p.packBinaryHeader(kb.length).writePayload(kb);
    }
  }

  private static void writeAcks(MessagePacker p, AckBatch a) throws IOException {
    p.packMapHeader(3);
    p.packInt(ENTRY_VERSION).packInt(VERSION);
    p.packInt(ENTRY_TYPE).packInt(TYPE_ACK);
    p.packInt(ACK_ACKS).packArrayHeader(a.acks().size());
    for (CompletionAck ack : a.acks()) {
      p.packMapHeader(4);
      p.packInt(ACK_EPOCH).packLong(ack.txnId().epoch());
      p.packInt(ACK_POSITION).packInt(ack.txnId().position());
      p.packInt(ACK_VSHARD).packInt(ack.vshard());
      p.packInt(ACK_PARTICIPANTS).packInt(ack.participants());
    }
  }

  /**
   * Packs {@code v} read as unsigned: a negative long stands for a value of 2^63 or more, which
   * msgpack carries as uint64 (the decoder rejects negative integers there).
   */
  private static void packUnsigned64(MessagePacker p, long v) throws IOException {
    if (v >= 0) {
      p.packLong(v);
    } else {
      p.packBigInteger(java.math.BigInteger.valueOf(v & Long.MAX_VALUE).setBit(63));
    }
  }

  private static void putLong(byte[] b, int off, long v) {
    for (int i = 7; i >= 0; i--) {
      b[off + i] = (byte) v;
      v >>>= 8;
    }
  }
}
