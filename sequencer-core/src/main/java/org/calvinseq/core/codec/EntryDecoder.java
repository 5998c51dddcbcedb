package org.calvinseq.core.codec;

import static org.calvinseq.core.codec.WireFormat.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.calvinseq.core.model.AckBatch;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.CompletionAck;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.SequencerEntry;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.model.TxnId;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePackException;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ValueType;

/**
 * Strict decoder for sequencer entries. Every problem becomes a {@link CodecException} naming the
 * field and offset; no input makes it throw anything else or allocate much more than the input's
 * own size (declared lengths are checked against the bytes that remain before anything is
 * allocated).
 *
 * <p>Unknown integer map keys are skipped so that later versions can add fields. Sets must be
 * strictly ascending (the encoder's canonical form): accepting unsorted sets would let two
 * different byte strings mean the same transaction.
 *
 * <p>Not thread-safe: it caches collection names between calls. Use one per thread.
 */
public final class EntryDecoder {
  private static final int NAME_CACHE_SIZE = 256;

  private final String[] nameCache = new String[NAME_CACHE_SIZE];
  private final byte[][] nameCacheBytes = new byte[NAME_CACHE_SIZE][];

  private MessageUnpacker in;
  private long size;

  public SequencerEntry decode(byte[] bytes) throws CodecException {
    return decode(MessagePack.newDefaultUnpacker(bytes), bytes.length);
  }

  public SequencerEntry decode(ByteBuffer bytes) throws CodecException {
    return decode(MessagePack.newDefaultUnpacker(bytes.duplicate()), bytes.remaining());
  }

  private SequencerEntry decode(MessageUnpacker unpacker, long length) throws CodecException {
    this.in = unpacker;
    this.size = length;
    try {
      SequencerEntry e = readEntry();
      if (in.hasNext()) {
        throw error("entry", "trailing bytes after the entry map");
      }
      return e;
    } catch (CodecException e) {
      throw e;
    } catch (IOException e) {
      throw new CodecException("entry", offset(), "truncated: " + e.getMessage(), e);
    } catch (MessagePackException | IllegalArgumentException e) {
      throw new CodecException("entry", offset(), e.getMessage(), e);
    } finally {
      this.in = null;
    }
  }

  private long offset() {
    return in.getTotalReadBytes();
  }

  private long remaining() {
    return size - in.getTotalReadBytes();
  }

  private CodecException error(String field, String problem) {
    return new CodecException(field, offset(), problem);
  }

  private SequencerEntry readEntry() throws IOException, CodecException {
    int fields = mapHeader("entry");
    long version = -1;
    long type = -1;
    long epoch = EpochBatch.AUTO_EPOCH;
    long proposerMs = 0;
    boolean hasProposerMs = false;
    List<Txn> txns = null;
    List<CompletionAck> acks = null;
    long seen = 0;
    for (int i = 0; i < fields; i++) {
      int key = fieldKey("entry", seen);
      seen |= 1L << Math.min(key, 63);
      switch (key) {
        case ENTRY_VERSION -> version = uint("version");
        case ENTRY_TYPE -> type = uint("type");
        case BATCH_EPOCH -> epoch = uint("epoch");
        case BATCH_PROPOSER_MS -> {
          proposerMs = sint("proposerMs");
          hasProposerMs = true;
        }
        case BATCH_TXNS -> txns = readTxns();
        case ACK_ACKS -> acks = readAcks();
        default -> in.skipValue();
      }
    }
    if (version < 0) {
      throw error("version", "missing format version");
    }
    if (version != VERSION) {
      throw error(
          "version",
          "unsupported format version " + version + " (this node reads " + VERSION + ")");
    }
    if (type == TYPE_BATCH) {
      if (txns == null) {
        throw error("txns", "batch without txns field");
      }
      if (!hasProposerMs) {
        throw error("proposerMs", "batch without proposerMs field");
      }
      if (acks != null) {
        throw error("acks", "acks field in a batch entry");
      }
      return new EpochBatch(epoch, proposerMs, txns);
    }
    if (type == TYPE_ACK) {
      if (acks == null) {
        throw error("acks", "ack entry without acks field");
      }
      if (txns != null) {
        throw error("txns", "txns field in an ack entry");
      }
      return new AckBatch(acks);
    }
    throw error("type", type < 0 ? "missing entry type" : "unknown entry type " + type);
  }

  private List<Txn> readTxns() throws IOException, CodecException {
    int n = arrayHeader("txns", 1);
    List<Txn> txns = new ArrayList<>(Math.min(n, 1024));
    for (int i = 0; i < n; i++) {
      txns.add(readTxn(i));
    }
    return txns;
  }

  private Txn readTxn(int index) throws IOException, CodecException {
    String where = "txns[" + index + "]";
    int fields = mapHeader(where);
    ClientTxnId clientId = null;
    long tenant = 0;
    List<Key> readSet = List.of();
    List<Key> writeSet = List.of();
    byte[] payload = EMPTY;
    long seen = 0;
    for (int i = 0; i < fields; i++) {
      int key = fieldKey(where, seen);
      seen |= 1L << Math.min(key, 63);
      switch (key) {
        case TXN_CLIENT_ID -> clientId = readClientId(where);
        case TXN_TENANT -> tenant = uint64(where + ".tenant");
        case TXN_READ_SET -> readSet = readKeys(where + ".readSet");
        case TXN_WRITE_SET -> writeSet = readKeys(where + ".writeSet");
        case TXN_PAYLOAD -> payload = binary(where + ".payload");
        default -> in.skipValue();
      }
    }
    return new Txn(clientId, tenant, readSet, writeSet, payload);
  }

  private ClientTxnId readClientId(String where) throws IOException, CodecException {
    byte[] b = binary(where + ".clientTxnId");
    if (b.length != ClientTxnId.WIRE_BYTES) {
      throw error(where + ".clientTxnId", "expected 16 bytes, got " + b.length);
    }
    return new ClientTxnId(getLong(b, 0), getLong(b, 8));
  }

  private List<Key> readKeys(String where) throws IOException, CodecException {
    // The smallest key, [fixstr "x", bin8 0], takes 5 bytes.
    int n = arrayHeader(where, 5);
    if (n == 0) {
      return List.of();
    }
    Key[] keys = new Key[n];
    for (int i = 0; i < n; i++) {
      String kw = where + "[" + i + "]";
      int parts = arrayHeader(kw, 1);
      if (parts != 2) {
        throw error(kw, "a key is a 2-element array [collection, key], got " + parts + " elements");
      }
      String collection = collection(kw + ".collection");
      byte[] kb = binary(kw + ".key");
      keys[i] = Key.ofOwned(collection, kb);
      if (i > 0 && keys[i - 1].compareTo(keys[i]) >= 0) {
        throw error(kw, "set not strictly ascending (sets are sorted and unique)");
      }
    }
    return Txn.ImmutableKeys.ofSorted(keys);
  }

  private List<CompletionAck> readAcks() throws IOException, CodecException {
    int n = arrayHeader("acks", 1);
    List<CompletionAck> acks = new ArrayList<>(Math.min(n, 1024));
    for (int i = 0; i < n; i++) {
      String where = "acks[" + i + "]";
      int fields = mapHeader(where);
      long epoch = -1;
      long position = -1;
      long vshard = -1;
      long participants = -1;
      long seen = 0;
      for (int f = 0; f < fields; f++) {
        int key = fieldKey(where, seen);
        seen |= 1L << Math.min(key, 63);
        switch (key) {
          case ACK_EPOCH -> epoch = uint(where + ".epoch");
          case ACK_POSITION -> position = uint(where + ".position");
          case ACK_VSHARD -> vshard = uint(where + ".vshard");
          case ACK_PARTICIPANTS -> participants = uint(where + ".participants");
          default -> in.skipValue();
        }
      }
      if (epoch < 0 || position < 0 || vshard < 0 || participants < 0) {
        throw error(where, "ack needs epoch, position, vshard and participants");
      }
      if (position > Integer.MAX_VALUE || vshard > Integer.MAX_VALUE) {
        throw error(where, "position or vshard out of range");
      }
      if (participants < 1 || participants > Integer.MAX_VALUE) {
        throw error(where + ".participants", "must be in [1, 2^31): " + participants);
      }
      acks.add(
          new CompletionAck(new TxnId(epoch, (int) position), (int) vshard, (int) participants));
    }
    return acks;
  }

  // ---- primitives with bounds checks ----

  private int mapHeader(String where) throws IOException, CodecException {
    expect(where, ValueType.MAP, "map");
    int n = in.unpackMapHeader();
    if (n < 0 || (long) n * 2 > remaining()) {
      throw error(
          where, "declares " + n + " map entries but only " + remaining() + " bytes remain");
    }
    return n;
  }

  private int arrayHeader(String where, int minElementBytes) throws IOException, CodecException {
    expect(where, ValueType.ARRAY, "array");
    int n = in.unpackArrayHeader();
    if (n < 0 || (long) n * minElementBytes > remaining()) {
      throw error(where, "declares " + n + " elements but only " + remaining() + " bytes remain");
    }
    return n;
  }

  private int fieldKey(String where, long seen) throws IOException, CodecException {
    expect(where, ValueType.INTEGER, "integer field key");
    long key = in.unpackLong();
    if (key < 0 || key > Integer.MAX_VALUE) {
      throw error(where, "field key out of range: " + key);
    }
    if (key < 63 && (seen & (1L << key)) != 0) {
      throw error(where, "duplicate field " + key);
    }
    return (int) key;
  }

  private long uint(String where) throws IOException, CodecException {
    long v = sint(where);
    if (v < 0) {
      throw error(where, "must not be negative: " + v);
    }
    return v;
  }

  private long sint(String where) throws IOException, CodecException {
    expect(where, ValueType.INTEGER, "integer");
    MessageFormat f = in.getNextFormat();
    if (f == MessageFormat.UINT64) {
      // May exceed Long.MAX_VALUE; unpackLong throws then, which we report as out of range.
      try {
        return in.unpackLong();
      } catch (MessagePackException e) {
        throw error(where, "integer out of range");
      }
    }
    return in.unpackLong();
  }

  /** An unsigned 64-bit integer carried in a long (two's complement above 2^63). */
  private long uint64(String where) throws IOException, CodecException {
    expect(where, ValueType.INTEGER, "integer");
    if (in.getNextFormat() == MessageFormat.UINT64) {
      return in.unpackBigInteger().longValue();
    }
    long v = in.unpackLong();
    if (v < 0) {
      throw error(where, "must not be negative: " + v);
    }
    return v;
  }

  private byte[] binary(String where) throws IOException, CodecException {
    expect(where, ValueType.BINARY, "binary");
    int n = in.unpackBinaryHeader();
    if (n < 0 || n > remaining()) {
      throw error(where, "declares " + n + " bytes but only " + remaining() + " remain");
    }
    return in.readPayload(n);
  }

  private String collection(String where) throws IOException, CodecException {
    expect(where, ValueType.STRING, "string");
    int n = in.unpackRawStringHeader();
    if (n <= 0 || n > remaining()) {
      throw error(
          where,
          n == 0
              ? "empty collection name"
              : "declares " + n + " bytes but " + remaining() + " remain");
    }
    byte[] raw = in.readPayload(n);
    int slot = java.util.Arrays.hashCode(raw) & (NAME_CACHE_SIZE - 1);
    byte[] cached = nameCacheBytes[slot];
    if (cached != null && java.util.Arrays.equals(cached, raw)) {
      return nameCache[slot];
    }
    String s = decodeUtf8(where, raw);
    nameCacheBytes[slot] = raw;
    nameCache[slot] = s;
    return s;
  }

  private String decodeUtf8(String where, byte[] raw) throws CodecException {
    try {
      return java.nio.charset.StandardCharsets.UTF_8
          .newDecoder()
          .decode(ByteBuffer.wrap(raw))
          .toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw error(where, "not valid UTF-8");
    }
  }

  private void expect(String where, ValueType type, String what)
      throws IOException, CodecException {
    if (!in.hasNext()) {
      throw error(where, "truncated: expected " + what);
    }
    MessageFormat f = in.getNextFormat();
    if (f.getValueType() != type) {
      throw error(where, "expected " + what + ", found " + f.getValueType().name().toLowerCase());
    }
  }

  private static long getLong(byte[] b, int off) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (b[off + i] & 0xFF);
    }
    return v;
  }

  private static final byte[] EMPTY = new byte[0];
}
