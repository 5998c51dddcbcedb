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
   * Encodes {@code batch} as a grouped batch (format {@link WireFormat#VERSION_GROUPED},
   * docs/wire-format.md section 3a): its txns in maximal groups of consecutive client txn ids, each
   * id written once per group. What a leader writes once the log records apply rules {@link
   * WireFormat#RULES_GROUPED}; {@link #encode(SequencerEntry)} writes format 1, which clients
   * propose and submit.
   */
  public static byte[] encodeGrouped(EpochBatch batch) {
    MsgpackOutput out = new MsgpackOutput(capacityHint(batch));
    writeGroupedBatch(out, batch);
    return out.toByteArray();
  }

  /**
   * Encodes {@code batch} as {@link #encodeGrouped(EpochBatch)} does, with its txns copied from
   * {@code runs} (encoded earlier by {@link #encodeRun}) instead of written again: the same bytes.
   * The runs must hold exactly the batch's txns, the same objects in the same order; only their
   * references are compared, so the txns themselves are not read. A group that continues across two
   * runs (one client's consecutive submissions) is written as one.
   *
   * @throws IllegalArgumentException if the runs' txns are not the batch's
   */
  public static byte[] encodeGrouped(EpochBatch batch, List<TxnRun> runs) {
    List<Txn> txns = batch.txns();
    int k = 0;
    int runGroups = 0;
    for (TxnRun r : runs) {
      for (Txn t : r.txns) {
        if (k == txns.size() || txns.get(k) != t) {
          throw new IllegalArgumentException(
              "the runs' txns are not the batch's: txn " + k + " differs");
        }
        k++;
      }
      runGroups += r.groupIds.length;
    }
    if (k != txns.size()) {
      throw new IllegalArgumentException("the runs hold " + k + " txns, the batch " + txns.size());
    }
    // The groups of the entry: the runs' groups, where one continues the one before joined to it.
    int[] counts = new int[runGroups];
    int groups = 0;
    long size = 0;
    ClientTxnId first = null;
    for (TxnRun r : runs) {
      for (int g = 0; g < r.groupIds.length; g++) {
        ClientTxnId id = r.groupIds[g];
        if (groups > 0 && continues(first, counts[groups - 1], id)) {
          counts[groups - 1] += r.groupTxns[g];
        } else {
          if (groups > 0) {
            size += groupHeaderSize(first, counts[groups - 1]);
          }
          first = id;
          counts[groups++] = r.groupTxns[g];
        }
        size += r.groupBytes[g];
      }
    }
    if (groups > 0) {
      size += groupHeaderSize(first, counts[groups - 1]);
    }
    if (size > Integer.MAX_VALUE - 64) {
      throw new IllegalArgumentException(
          "the runs hold " + size + " bytes, too many for one entry");
    }
    // The header first on its own, so that the entry's array is allocated at its exact size once.
    MsgpackOutput header = new MsgpackOutput(32);
    writeBatchHeader(header, batch, VERSION_GROUPED, groups);
    MsgpackOutput out = new MsgpackOutput(header.size() + (int) size);
    out.raw(header.toByteArray(), 0, header.size());
    int m = 0;
    int left = 0; // txns of the current group still to copy
    for (TxnRun r : runs) {
      int from = 0;
      for (int g = 0; g < r.groupIds.length; g++) {
        if (left == 0) {
          left = counts[m++];
          writeGroupHeader(out, r.groupIds[g], left);
        }
        left -= r.groupTxns[g];
        out.raw(r.bytes, from, r.groupBytes[g]);
        from += r.groupBytes[g];
      }
    }
    return out.toByteArray();
  }

  /**
   * Encodes {@code txns} one after another as the txns of grouped batches, with their groups: a run
   * that {@link #encodeGrouped(EpochBatch, List)} copies into a batch holding these txns.
   */
  public static TxnRun encodeRun(List<Txn> txns) {
    List<Txn> run = List.copyOf(txns);
    int n = run.size();
    int groups = 0;
    for (int i = 0; i < n; i = groupEnd(run, i)) {
      groups++;
    }
    ClientTxnId[] ids = new ClientTxnId[groups];
    int[] groupTxns = new int[groups];
    int[] groupBytes = new int[groups];
    long hint = 0;
    for (Txn t : run) {
      hint += sizeHint(t);
    }
    MsgpackOutput out = new MsgpackOutput((int) Math.min(1 << 24, hint));
    int g = 0;
    for (int i = 0; i < n; g++) {
      int j = groupEnd(run, i);
      int from = out.size();
      ids[g] = run.get(i).clientTxnId();
      groupTxns[g] = j - i;
      for (; i < j; i++) {
        writeTxn(out, run.get(i), false);
      }
      groupBytes[g] = out.size() - from;
    }
    return new TxnRun(run, out.toByteArray(), ids, groupTxns, groupBytes);
  }

  /**
   * Txns and their encodings one after another (from {@link #encodeRun}), in groups, for {@link
   * #encodeGrouped(EpochBatch, List)}. Immutable as far as the txns are (their payload arrays are
   * the callers').
   */
  public static final class TxnRun {
    private final List<Txn> txns;
    private final byte[] bytes;
    // Per group: the client txn id of its first txn (null: txns without one), txns and bytes.
    private final ClientTxnId[] groupIds;
    private final int[] groupTxns;
    private final int[] groupBytes;

    private TxnRun(
        List<Txn> txns, byte[] bytes, ClientTxnId[] groupIds, int[] groupTxns, int[] groupBytes) {
      this.txns = txns;
      this.bytes = bytes;
      this.groupIds = groupIds;
      this.groupTxns = groupTxns;
      this.groupBytes = groupBytes;
    }

    /** The txns, an immutable list. */
    public List<Txn> txns() {
      return txns;
    }
  }

  /**
   * Whether a txn whose client txn id is {@code next} continues a group of {@code count} txns whose
   * first has {@code first}: neither has an id, or {@code next} is the sequence after the group's
   * last of the same client (sequences are unsigned 64-bit numbers and do not wrap).
   */
  static boolean continues(ClientTxnId first, long count, ClientTxnId next) {
    if (first == null || next == null) {
      return first == null && next == null;
    }
    long last = first.sequence() + (count - 1);
    return first.clientId() == next.clientId() && last != -1L && last + 1 == next.sequence();
  }

  /** The end (exclusive) of the group that starts at {@code txns[i]}. */
  private static int groupEnd(List<Txn> txns, int i) {
    ClientTxnId first = txns.get(i).clientTxnId();
    int j = i + 1;
    while (j < txns.size() && continues(first, j - i, txns.get(j).clientTxnId())) {
      j++;
    }
    return j;
  }

  private static int groupHeaderSize(ClientTxnId first, int count) {
    return 1 + (first == null ? 1 : 2 + ClientTxnId.WIRE_BYTES) + MsgpackOutput.headerSize(count);
  }

  /** A group's array, its first client txn id (or nil) and its txn array's header. */
  private static void writeGroupHeader(MsgpackOutput p, ClientTxnId first, int count) {
    p.arrayHeader(2);
    if (first == null) {
      p.nil();
    } else {
      p.binary16(first.clientId(), first.sequence());
    }
    p.arrayHeader(count);
  }

  /** The encoded size of {@code t} as one txn map of a batch, the unit the limits measure. */
  public static int txnSize(Txn t) {
    MsgpackOutput out = new MsgpackOutput(sizeHint(t));
    writeTxn(out, t, true);
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
    writeBatchHeader(p, b, VERSION, b.txns().size());
    for (Txn t : b.txns()) {
      writeTxn(p, t, true);
    }
  }

  private static void writeGroupedBatch(MsgpackOutput p, EpochBatch b) {
    List<Txn> txns = b.txns();
    int groups = 0;
    for (int i = 0; i < txns.size(); i = groupEnd(txns, i)) {
      groups++;
    }
    writeBatchHeader(p, b, VERSION_GROUPED, groups);
    for (int i = 0; i < txns.size(); ) {
      int j = groupEnd(txns, i);
      writeGroupHeader(p, txns.get(i).clientTxnId(), j - i);
      for (; i < j; i++) {
        writeTxn(p, txns.get(i), false);
      }
    }
  }

  /**
   * The batch's map up to and including the header of its txns array, of {@code elements} txns (in
   * format 1) or groups (in the grouped format).
   */
  private static void writeBatchHeader(MsgpackOutput p, EpochBatch b, int version, int elements) {
    p.mapHeader(b.hasEpoch() ? 5 : 4);
    p.integer(ENTRY_VERSION).integer(version);
    p.integer(ENTRY_TYPE).integer(TYPE_BATCH);
    if (b.hasEpoch()) {
      p.integer(BATCH_EPOCH).integer(b.epoch());
    }
    p.integer(BATCH_PROPOSER_MS).integer(b.proposerMs());
    p.integer(BATCH_TXNS);
    p.arrayHeader(elements);
  }

  /** A txn map; with its client txn id, if it has one, unless {@code withId} is false (grouped). */
  private static void writeTxn(MsgpackOutput p, Txn t, boolean withId) {
    ClientTxnId id = withId ? t.clientTxnId() : null;
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
