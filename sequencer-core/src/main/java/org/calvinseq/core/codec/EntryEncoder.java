package org.calvinseq.core.codec;

import static org.calvinseq.core.codec.WireFormat.*;

import java.util.List;
import org.calvinseq.core.model.AckBatch;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.ClusterInit;
import org.calvinseq.core.model.CompletionAck;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.SequencerEntry;
import org.calvinseq.core.model.Txn;

/**
 * Encodes entries canonically: map keys ascending, shortest integer forms, sets already sorted and
 * unique by the model, so equal values give equal bytes: the forms msgpack-java's packer chooses,
 * written by {@link MsgpackOutput} into one array. Stateless and thread-safe.
 */
public final class EntryEncoder {
  private EntryEncoder() {}

  public static byte[] encode(SequencerEntry entry) {
    MsgpackOutput out = new MsgpackOutput(capacityHint(entry));
    write(out, entry);
    return out.toByteArray();
  }

  /**
   * Encodes {@code batch} as {@link #encode(SequencerEntry)} does, with its txns copied from {@code
   * runs} (encoded earlier by {@link #encodeRun}) instead of written again: the same bytes. The
   * runs must hold exactly the batch's txns, the same objects in the same order; only their
   * references are compared, so the txns themselves are not read.
   *
   * @throws IllegalArgumentException if the runs' txns are not the batch's
   */
  public static byte[] encode(EpochBatch batch, List<TxnRun> runs) {
    List<Txn> txns = batch.txns();
    int k = 0;
    long size = 0;
    for (TxnRun r : runs) {
      for (Txn t : r.txns) {
        if (k == txns.size() || txns.get(k) != t) {
          throw new IllegalArgumentException(
              "the runs' txns are not the batch's: txn " + k + " differs");
        }
        k++;
      }
      size += r.bytes.length;
    }
    if (k != txns.size()) {
      throw new IllegalArgumentException("the runs hold " + k + " txns, the batch " + txns.size());
    }
    if (size > Integer.MAX_VALUE - 64) {
      throw new IllegalArgumentException(
          "the runs hold " + size + " bytes, too many for one entry");
    }
    // The header first on its own, so that the entry's array is allocated at its exact size once.
    MsgpackOutput header = new MsgpackOutput(32);
    writeBatchHeader(header, batch);
    MsgpackOutput out = new MsgpackOutput(header.size() + (int) size);
    out.raw(header.toByteArray(), 0, header.size());
    for (TxnRun r : runs) {
      out.raw(r.bytes, 0, r.bytes.length);
    }
    return out.toByteArray();
  }

  /**
   * Encodes {@code txns} one after another, each as one element of a batch's txns array: a run that
   * {@link #encode(EpochBatch, List)} copies into a batch holding these txns.
   */
  public static TxnRun encodeRun(List<Txn> txns) {
    List<Txn> run = List.copyOf(txns);
    long hint = 0;
    for (Txn t : run) {
      hint += sizeHint(t);
    }
    MsgpackOutput out = new MsgpackOutput((int) Math.min(1 << 24, hint));
    for (Txn t : run) {
      writeTxn(out, t);
    }
    return new TxnRun(run, out.toByteArray());
  }

  /**
   * Txns and their canonical encodings one after another (from {@link #encodeRun}), for {@link
   * #encode(EpochBatch, List)}. Immutable as far as the txns are (their payload arrays are the
   * callers').
   */
  public static final class TxnRun {
    private final List<Txn> txns;
    private final byte[] bytes;

    private TxnRun(List<Txn> txns, byte[] bytes) {
      this.txns = txns;
      this.bytes = bytes;
    }

    /** The txns, an immutable list. */
    public List<Txn> txns() {
      return txns;
    }
  }

  /** The encoded size of {@code t} as one txn map of a batch, the unit the limits measure. */
  public static int txnSize(Txn t) {
    MsgpackOutput out = new MsgpackOutput(sizeHint(t));
    writeTxn(out, t);
    return out.size();
  }

  /** Room for {@code t}'s encoding, a little more than it usually takes. */
  private static int sizeHint(Txn t) {
    return 64 + t.payloadLength() + 24 * t.keyCount();
  }

  /** Room for a typical entry at once, so that the array rarely grows (it doubles when it must). */
  private static int capacityHint(SequencerEntry entry) {
    if (entry instanceof EpochBatch b) {
      return (int) Math.min(1 << 24, 64 + 160L * b.txns().size());
    }
    if (entry instanceof AckBatch a) {
      return (int) Math.min(1 << 24, 32 + 24L * a.acks().size());
    }
    return 128;
  }

  static void write(MsgpackOutput p, SequencerEntry entry) {
    if (entry instanceof EpochBatch b) {
      writeBatch(p, b);
    } else if (entry instanceof AckBatch a) {
      writeAcks(p, a);
    } else {
      writeInit(p, (ClusterInit) entry);
    }
  }

  private static void writeInit(MsgpackOutput p, ClusterInit init) {
    boolean rules = init.rulesVersion() != ClusterInit.FIRST_RULES_VERSION;
    p.mapHeader(rules ? 5 : 4);
    p.integer(ENTRY_VERSION).integer(VERSION);
    p.integer(ENTRY_TYPE).integer(TYPE_CLUSTER_INIT);
    p.integer(INIT_VSHARD_COUNT).integer(init.vshardCount());
    p.integer(INIT_CLUSTER_NAME).string(init.clusterName());
    if (rules) {
      p.integer(INIT_RULES_VERSION).integer(init.rulesVersion());
    }
  }

  private static void writeBatch(MsgpackOutput p, EpochBatch b) {
    writeBatchHeader(p, b);
    for (Txn t : b.txns()) {
      writeTxn(p, t);
    }
  }

  /** The batch's map up to and including its txns array's header. */
  private static void writeBatchHeader(MsgpackOutput p, EpochBatch b) {
    p.mapHeader(b.hasEpoch() ? 5 : 4);
    p.integer(ENTRY_VERSION).integer(VERSION);
    p.integer(ENTRY_TYPE).integer(TYPE_BATCH);
    if (b.hasEpoch()) {
      p.integer(BATCH_EPOCH).integer(b.epoch());
    }
    p.integer(BATCH_PROPOSER_MS).integer(b.proposerMs());
    p.integer(BATCH_TXNS);
    p.arrayHeader(b.txns().size());
  }

  private static void writeTxn(MsgpackOutput p, Txn t) {
    ClientTxnId id = t.clientTxnId();
    p.mapHeader(id == null ? 4 : 5);
    if (id != null) {
      p.integer(TXN_CLIENT_ID).binary16(id.clientId(), id.sequence());
    }
    p.integer(TXN_TENANT).unsigned(t.tenantId());
    p.integer(TXN_READ_SET);
    writeKeys(p, t.readSet());
    p.integer(TXN_WRITE_SET);
    writeKeys(p, t.writeSet());
    p.integer(TXN_PAYLOAD).binary(t.payload());
  }

  private static void writeKeys(MsgpackOutput p, List<Key> keys) {
    p.arrayHeader(keys.size());
    for (Key k : keys) {
      p.arrayHeader(2).string(k.collection()).binary(k.keyUnsafe());
    }
  }

  private static void writeAcks(MsgpackOutput p, AckBatch a) {
    p.mapHeader(3);
    p.integer(ENTRY_VERSION).integer(VERSION);
    p.integer(ENTRY_TYPE).integer(TYPE_ACK);
    p.integer(ACK_ACKS).arrayHeader(a.acks().size());
    for (CompletionAck ack : a.acks()) {
      p.mapHeader(4);
      p.integer(ACK_EPOCH).integer(ack.txnId().epoch());
      p.integer(ACK_POSITION).integer(ack.txnId().position());
      p.integer(ACK_VSHARD).integer(ack.vshard());
      p.integer(ACK_PARTICIPANTS).integer(ack.participants());
    }
  }
}
