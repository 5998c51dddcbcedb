package org.calvinseq.core.codec;

import static org.calvinseq.core.codec.WireFormat.*;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.calvinseq.core.model.AckBatch;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.ClusterInit;
import org.calvinseq.core.model.CompletionAck;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.SequencerEntry;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.model.TxnId;
import org.msgpack.core.MessagePackException;
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
 * <p>Implementation notes: this is the first step of every apply, so it reads msgpack straight from
 * the entry's bytes with an index; going through a {@code MessageUnpacker} made decoding about 1.5
 * times slower ({@code CodecBenchmark}, docs/performance.md). Field paths for error messages (such
 * as {@code txns[3].readSet[0].key}) are built only when an error is thrown; building them eagerly
 * had cost more than the decoding itself. Collection names are cached, so a decoded key costs its
 * {@code Key} and its byte array. Offsets in errors count the bytes consumed before the problem was
 * found, as {@code MessageUnpacker.getTotalReadBytes()} did; truncations and lengths beyond the
 * input are reported at the enclosing field.
 *
 * <p>Not thread-safe: it caches collection names (and a copy buffer for inputs without an
 * accessible array) between calls. Use one per thread.
 */
public final class EntryDecoder extends MsgpackInput {
  /**
   * Slots of the collection-name cache: a name that keeps its slot decodes to the same {@code
   * String} instance every time (whose hash code, and routing, are then already computed). At 1,000
   * names in use about 9 in 10 keep their slot; a miss costs one short string.
   */
  private static final int NAME_CACHE_SIZE = 4096;

  // The keys seen so far in the entry map and in the txn or ack map being read (maps nest only that
  // deep: unknown values are skipped without looking at their keys).
  private final FieldSet entryFields = new FieldSet();
  private final FieldSet itemFields = new FieldSet();

  private final String[] nameCache = new String[NAME_CACHE_SIZE];
  private final byte[][] nameCacheBytes = new byte[NAME_CACHE_SIZE][];

  /** Decodes the names that are not ASCII; reports malformed input (the default actions). */
  private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder();

  /** Copy of the input when it is not backed by an accessible array (read-only buffers). */
  private byte[] copy = EMPTY;

  /** Whether grouped batches (format {@link WireFormat#VERSION_GROUPED}) are read. */
  private boolean grouped;

  // Where decoding is, turned into a field path such as "txns[3].readSet[0].key" only when an error
  // is thrown: building those strings eagerly cost more than decoding the fields themselves.
  private String list; // "txns" or "acks" while inside one of them, else null
  private int item = -1;
  private String set; // "readSet" or "writeSet" while inside one, else null
  private int keyIndex = -1;

  /**
   * Whether this decoder reads grouped batches (format {@link WireFormat#VERSION_GROUPED},
   * docs/wire-format.md section 3a), which only leaders write; by default it does not, and rejects
   * them as an unsupported version. The state machine reads them once the log records apply rules
   * {@link WireFormat#RULES_GROUPED}.
   */
  public EntryDecoder readGrouped(boolean read) {
    this.grouped = read;
    return this;
  }

  public SequencerEntry decode(byte[] bytes) throws CodecException {
    return decode(bytes, 0, bytes.length);
  }

  public SequencerEntry decode(ByteBuffer bytes) throws CodecException {
    int n = bytes.remaining();
    if (bytes.hasArray()) {
      return decode(bytes.array(), bytes.arrayOffset() + bytes.position(), n);
    }
    if (copy.length < n) {
      copy = new byte[n];
    }
    bytes.duplicate().get(copy, 0, n);
    return decode(copy, 0, n);
  }

  private SequencerEntry decode(byte[] bytes, int from, int length) throws CodecException {
    this.buf = bytes;
    this.start = from;
    this.pos = from;
    this.end = from + length;
    try {
      SequencerEntry e = readEntry();
      if (pos < end) {
        throw error("entry", "trailing bytes after the entry map");
      }
      return e;
    } catch (MessagePackException | IllegalArgumentException e) {
      throw new CodecException("entry", offset(), e.getMessage(), e);
    } finally {
      this.buf = null;
      leaveList();
    }
  }

  /**
   * An error at {@code leaf} (null: the current txn, ack, set or key itself, or the entry at the
   * top level) under the current context.
   */
  @Override
  CodecException error(String leaf, String problem) {
    return new CodecException(path(leaf), offset(), problem);
  }

  private String path(String leaf) {
    if (list == null) {
      return leaf == null ? "entry" : leaf;
    }
    StringBuilder b = new StringBuilder(48).append(list).append('[').append(item).append(']');
    if (set != null) {
      b.append('.').append(set);
      if (keyIndex >= 0) {
        b.append('[').append(keyIndex).append(']');
      }
    }
    if (leaf != null) {
      b.append('.').append(leaf);
    }
    return b.toString();
  }

  private void leaveList() {
    list = null;
    item = -1;
    set = null;
    keyIndex = -1;
  }

  private SequencerEntry readEntry() throws CodecException {
    int fields = mapHeader("entry");
    long version = -1;
    long type = -1;
    long epoch = EpochBatch.AUTO_EPOCH;
    long proposerMs = 0;
    boolean hasProposerMs = false;
    List<Txn> txns = null;
    List<CompletionAck> acks = null;
    int vshardCountAt = -1; // cluster-init fields: read once the type is known (section 6a)
    int clusterNameAt = -1;
    int rulesAt = -1;
    int txnsAt = -1; // the txns, when they come before the version (read once it is known)
    entryFields.clear();
    for (int i = 0; i < fields; i++) {
      int key = fieldKey("entry", entryFields);
      switch (key) {
        case ENTRY_VERSION -> version = uint("version");
        case ENTRY_TYPE -> type = uint("type");
        case BATCH_EPOCH -> epoch = uint("epoch");
        case BATCH_PROPOSER_MS -> {
          proposerMs = sint("proposerMs");
          hasProposerMs = true;
        }
        case BATCH_TXNS -> {
          if (version < 0) {
            txnsAt = pos;
            skipValue();
          } else {
            txns = readTxns(checkVersion(version));
          }
        }
        case ACK_ACKS -> acks = readAcks();
        case INIT_VSHARD_COUNT -> {
          vshardCountAt = pos;
          skipValue();
        }
        case INIT_CLUSTER_NAME -> {
          clusterNameAt = pos;
          skipValue();
        }
        case INIT_RULES_VERSION -> {
          rulesAt = pos;
          skipValue();
        }
        default -> skipValue();
      }
    }
    if (version < 0) {
      throw error("version", "missing format version");
    }
    checkVersion(version);
    if (txnsAt >= 0) {
      int after = pos;
      pos = txnsAt;
      txns = readTxns(version);
      pos = after;
    }
    if (version != VERSION && type != TYPE_BATCH) {
      throw error("version", "format version " + version + " is for batch entries only");
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
    if (type == TYPE_CLUSTER_INIT) {
      return readClusterInit(txns, acks, vshardCountAt, clusterNameAt, rulesAt);
    }
    throw error("type", type < 0 ? "missing entry type" : "unknown entry type " + type);
  }

  /**
   * A cluster-init entry from the offsets of its fields (the rules version is optional: absent, it
   * is 1). Other entry types skip fields 6 to 8 as unknown, as decoders did before the type
   * existed, so no entry changes meaning.
   */
  private ClusterInit readClusterInit(
      List<Txn> txns, List<CompletionAck> acks, int vshardCountAt, int clusterNameAt, int rulesAt)
      throws CodecException {
    if (txns != null || acks != null) {
      throw error(txns != null ? "txns" : "acks", "txns or acks field in a cluster-init entry");
    }
    if (vshardCountAt < 0) {
      throw error("vshardCount", "cluster-init entry without vshardCount field");
    }
    if (clusterNameAt < 0) {
      throw error("clusterName", "cluster-init entry without clusterName field");
    }
    int after = pos;
    pos = vshardCountAt;
    long vshards = uint("vshardCount");
    if (vshards < 1 || vshards > Integer.MAX_VALUE) {
      throw error("vshardCount", "must be in [1, 2^31-1]: " + vshards);
    }
    pos = clusterNameAt;
    String name = collection("clusterName");
    long rules = ClusterInit.FIRST_RULES_VERSION;
    if (rulesAt >= 0) {
      pos = rulesAt;
      rules = uint("rulesVersion");
      if (rules < 1 || rules > Integer.MAX_VALUE) {
        throw error("rulesVersion", "must be in [1, 2^31-1]: " + rules);
      }
    }
    pos = after;
    return new ClusterInit((int) vshards, name, (int) rules);
  }

  /** {@code version}, if this decoder reads it; else the error saying why not. */
  private long checkVersion(long version) throws CodecException {
    if (version == VERSION || (version == VERSION_GROUPED && grouped)) {
      return version;
    }
    throw error(
        "version",
        version == VERSION_GROUPED
            ? "format version 2 (a grouped batch) is not read here: leaders write it once the log"
                + " records apply rules "
                + RULES_GROUPED
                + ", and clients never"
            : "unsupported format version "
                + version
                + (grouped ? " (this node reads 1 and 2)" : " (this node reads 1)"));
  }

  private List<Txn> readTxns(long version) throws CodecException {
    return version == VERSION_GROUPED ? readGroups() : readTxns();
  }

  private List<Txn> readTxns() throws CodecException {
    int n = arrayHeader("txns", 1);
    List<Txn> txns = new ArrayList<>(Math.min(n, 1024));
    list = "txns";
    for (int i = 0; i < n; i++) {
      item = i;
      txns.add(readTxn(false, null));
    }
    leaveList();
    return txns;
  }

  /**
   * The txns of a grouped batch (section 3a): an array of groups {@code [first client txn id or
   * nil, [txn, ...]]}, the txns numbered on across groups; each group maximal.
   */
  private List<Txn> readGroups() throws CodecException {
    // The smallest group, [nil, [{}]], takes 4 bytes; the smallest txn map 1.
    int n = arrayHeader("txns", 4);
    List<Txn> txns = new ArrayList<>((int) Math.min(remaining() / 32, 8192));
    ClientTxnId prev = null;
    int prevCount = 0;
    for (int g = 0; g < n; g++) {
      list = "groups";
      item = g;
      int parts = arrayHeader(null, 1);
      if (parts != 2) {
        throw error(
            null,
            "a group is a 2-element array [clientTxnId or nil, txns], got " + parts + " elements");
      }
      ClientTxnId first = null;
      if (pos < end && buf[pos] == (byte) 0xC0) { // nil: txns without client txn ids
        pos++;
      } else {
        first = readClientId();
      }
      int count = arrayHeader("txns", 1);
      if (count == 0) {
        throw error("txns", "empty group");
      }
      if (first != null
          && Long.compareUnsigned(first.sequence() + (count - 1), first.sequence()) < 0) {
        throw error("clientTxnId", "the group's " + count + " sequences pass 2^64-1");
      }
      if (g > 0 && EntryEncoder.continues(prev, prevCount, first)) {
        throw error(null, "continues the group before it (groups are maximal)");
      }
      list = "txns";
      for (int i = 0; i < count; i++) {
        item = txns.size();
        ClientTxnId id =
            first == null || i == 0
                ? first
                : new ClientTxnId(first.clientId(), first.sequence() + i);
        txns.add(readTxn(true, id));
      }
      prev = first;
      prevCount = count;
    }
    leaveList();
    return txns;
  }

  /**
   * A txn map. In a grouped batch ({@code inGroup}) its client txn id is {@code groupId}, its
   * group's, and the map must not carry one.
   */
  private Txn readTxn(boolean inGroup, ClientTxnId groupId) throws CodecException {
    int fields = mapHeader(null);
    ClientTxnId clientId = null;
    long tenant = 0;
    List<Key> readSet = List.of();
    List<Key> writeSet = List.of();
    byte[] payload = EMPTY;
    itemFields.clear();
    for (int i = 0; i < fields; i++) {
      int key = fieldKey(null, itemFields);
      switch (key) {
        case TXN_CLIENT_ID -> {
          if (inGroup) {
            throw error("clientTxnId", "a txn of a grouped batch carries no client txn id");
          }
          clientId = readClientId();
        }
        case TXN_TENANT -> tenant = uint64("tenant");
        case TXN_READ_SET -> readSet = readKeys("readSet");
        case TXN_WRITE_SET -> writeSet = readKeys("writeSet");
        case TXN_PAYLOAD -> payload = binary("payload");
        default -> skipValue();
      }
    }
    return new Txn(inGroup ? groupId : clientId, tenant, readSet, writeSet, payload);
  }

  private ClientTxnId readClientId() throws CodecException {
    int n = binaryHeader("clientTxnId");
    pos += n;
    if (n != ClientTxnId.WIRE_BYTES) {
      throw error("clientTxnId", "expected 16 bytes, got " + n);
    }
    return new ClientTxnId(getLong(buf, pos - 16), getLong(buf, pos - 8));
  }

  private List<Key> readKeys(String name) throws CodecException {
    set = name;
    // The smallest key, [fixstr "x", bin8 0], takes 5 bytes.
    int n = arrayHeader(null, 5);
    if (n == 0) {
      set = null;
      return List.of();
    }
    Key[] keys = new Key[n];
    for (int i = 0; i < n; i++) {
      keyIndex = i;
      int parts = arrayHeader(null, 1);
      if (parts != 2) {
        throw error(
            null, "a key is a 2-element array [collection, key], got " + parts + " elements");
      }
      String collection = collection("collection");
      byte[] kb = binary("key");
      Key k = Key.ofOwned(collection, kb);
      if (i > 0 && !ascending(keys[i - 1], k)) {
        throw error(null, "set not strictly ascending (sets are sorted and unique)");
      }
      keys[i] = k;
    }
    set = null;
    keyIndex = -1;
    return Txn.ImmutableKeys.ofSorted(keys);
  }

  /** {@code a < b}; collections from the name cache are usually the same instance. */
  private static boolean ascending(Key a, Key b) {
    if (a.collection() == b.collection()) {
      return Arrays.compareUnsigned(a.keyUnsafe(), b.keyUnsafe()) < 0;
    }
    return a.compareTo(b) < 0;
  }

  private List<CompletionAck> readAcks() throws CodecException {
    int n = arrayHeader("acks", 1);
    List<CompletionAck> acks = new ArrayList<>(Math.min(n, 1024));
    list = "acks";
    for (int i = 0; i < n; i++) {
      item = i;
      int fields = mapHeader(null);
      long epoch = -1;
      long position = -1;
      long vshard = -1;
      long participants = -1;
      itemFields.clear();
      for (int f = 0; f < fields; f++) {
        int key = fieldKey(null, itemFields);
        switch (key) {
          case ACK_EPOCH -> epoch = uint("epoch");
          case ACK_POSITION -> position = uint("position");
          case ACK_VSHARD -> vshard = uint("vshard");
          case ACK_PARTICIPANTS -> participants = uint("participants");
          default -> skipValue();
        }
      }
      if (epoch < 0 || position < 0 || vshard < 0 || participants < 0) {
        throw error(null, "ack needs epoch, position, vshard and participants");
      }
      if (position > Integer.MAX_VALUE || vshard > Integer.MAX_VALUE) {
        throw error(null, "position or vshard out of range");
      }
      if (participants < 1 || participants > Integer.MAX_VALUE) {
        throw error("participants", "must be in [1, 2^31): " + participants);
      }
      acks.add(
          new CompletionAck(new TxnId(epoch, (int) position), (int) vshard, (int) participants));
    }
    leaveList();
    return acks;
  }

  private String collection(String where) throws CodecException {
    int n;
    if (pos < end && (buf[pos] & 0xE0) == 0xA0) { // fixstr
      n = buf[pos++] & 0x1F;
    } else {
      int b = peek(where, ValueType.STRING, "string");
      pos++;
      n =
          switch (b) {
            case 0xD9 -> u8();
            case 0xDA -> u16();
            default -> length32(where);
          };
    }
    if (n <= 0 || n > remaining()) {
      throw error(
          where,
          n == 0
              ? "empty " + (where.equals("clusterName") ? "cluster name" : "collection name")
              : "declares " + n + " bytes but " + remaining() + " remain");
    }
    int from = pos;
    pos += n;
    int h = 1;
    for (int i = from; i < pos; i++) {
      h = 31 * h + buf[i];
    }
    int slot = (h ^ (h >>> 16)) & (NAME_CACHE_SIZE - 1);
    byte[] cached = nameCacheBytes[slot];
    if (cached != null && sameBytes(cached, from, n)) {
      return nameCache[slot];
    }
    String s = decodeUtf8(where, from, n);
    nameCacheBytes[slot] = Arrays.copyOfRange(buf, from, pos);
    nameCache[slot] = s;
    return s;
  }

  /** A plain loop: names are short, and {@code Arrays.equals} costs more to set up than this. */
  private boolean sameBytes(byte[] cached, int from, int n) {
    if (cached.length != n) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      if (cached[i] != buf[from + i]) {
        return false;
      }
    }
    return true;
  }

  private String decodeUtf8(String where, int from, int n) throws CodecException {
    int i = from;
    int to = from + n;
    while (i < to && buf[i] >= 0) {
      i++;
    }
    if (i == to) {
      // ASCII, the usual case: each byte is its char, and the string stores them as they are.
      return new String(buf, from, n, StandardCharsets.ISO_8859_1);
    }
    try {
      return utf8.reset().decode(ByteBuffer.wrap(buf, from, n)).toString();
    } catch (CharacterCodingException e) {
      throw error(where, "not valid UTF-8");
    }
  }
}
