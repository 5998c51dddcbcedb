package org.calvinseq.it.engine;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.routing.VShardRouter;

/**
 * The data of one vshard: a map from key to a 64-bit value, and how far it has applied.
 *
 * <p>Deterministic: {@link #apply} depends on the txn (its keys, payload, epoch, position and
 * {@code epochSystemMs}) and the state before it, never on a clock, a random source or the thread
 * that runs it, so every replica that applies the same txns in the same order ends in the same
 * state. Each write replaces the key's value with a hash of its old value, the values of the txn's
 * reads on this vshard, the payload and the txn's identity: a lost, repeated or reordered txn
 * changes the outcome. (Reads of keys on other vshards would need the Calvin read exchange between
 * partitions; this example leaves them out.)
 *
 * <p>Not thread-safe: one scheduler thread owns it; others read only {@link #throughEpoch()}.
 */
public final class KvState {
  private final int vshard;
  private final Map<Key, Long> values = new HashMap<>();
  private TxnId last;
  private long applied;
  private long chain;
  private long contentSum; // sum of mix(key, value) over the map, kept up to date on every put
  private volatile long throughEpoch = -1;

  public KvState(int vshard) {
    this.vshard = vshard;
  }

  public int vshard() {
    return vshard;
  }

  /** The last txn applied, or null. */
  public TxnId last() {
    return last;
  }

  /** Every txn of this vshard with an epoch at or below this one has been applied (-1: none). */
  public long throughEpoch() {
    return throughEpoch;
  }

  /** Records that nothing of this vshard up to {@code epoch} is left to apply. */
  public void advanceThrough(long epoch) {
    if (epoch > throughEpoch) {
      throughEpoch = epoch;
    }
  }

  public long applied() {
    return applied;
  }

  /** True when {@code t} is at or before the last txn applied (a re-delivery after a restart). */
  public boolean hasApplied(SequencedTxn t) {
    return last != null && !last.isBefore(t.epoch(), t.position());
  }

  /** Executes this vshard's share of {@code t}: its writes of keys that live here. */
  public void apply(SequencedTxn t, VShardRouter router) {
    long reads = 0x9E3779B97F4A7C15L;
    for (Key k : t.txn().readSet()) {
      if (router.vshardOf(k) == vshard) {
        reads = mix(reads, values.getOrDefault(k, 0L));
      }
    }
    long payload = hash(t.txn().payload());
    long stamp = mix(mix(mix(payload, t.epoch()), t.position()), t.epochSystemMs());
    for (Key k : t.txn().writeSet()) {
      if (router.vshardOf(k) == vshard) {
        put(k, mix(mix(values.getOrDefault(k, 0L), reads), stamp));
      }
    }
    chain = mix(chain, stamp);
    last = t.id();
    applied++;
    advanceThrough(t.epoch() - 1);
  }

  private void put(Key k, long value) {
    Long old = values.put(k, value);
    long h = keyHash(k);
    if (old != null) {
      contentSum -= mix(h, old);
    }
    contentSum += mix(h, value);
  }

  /** The value of {@code key}, or 0. */
  public long get(Key key) {
    return values.getOrDefault(key, 0L);
  }

  public int size() {
    return values.size();
  }

  /**
   * A hash of the content (values, last txn, count and the order-sensitive chain of every txn
   * applied), equal on replicas that applied the same txns in the same order.
   */
  public long digest() {
    long d = mix(mix(mix(contentSum, values.size()), applied), chain);
    return last == null ? d : mix(mix(d, last.epoch()), last.position());
  }

  // ---- checkpoints ----

  void write(DataOutputStream out) throws IOException {
    out.writeInt(vshard);
    out.writeLong(throughEpoch);
    out.writeBoolean(last != null);
    if (last != null) {
      out.writeLong(last.epoch());
      out.writeInt(last.position());
    }
    out.writeLong(applied);
    out.writeLong(chain);
    List<Map.Entry<Key, Long>> entries = new ArrayList<>(values.entrySet());
    entries.sort(Map.Entry.comparingByKey());
    out.writeInt(entries.size());
    for (Map.Entry<Key, Long> e : entries) {
      byte[] c = e.getKey().collection().getBytes(StandardCharsets.UTF_8);
      out.writeShort(c.length);
      out.write(c);
      byte[] k = e.getKey().keyUnsafe();
      out.writeShort(k.length);
      out.write(k);
      out.writeLong(e.getValue());
    }
  }

  static KvState read(DataInputStream in) throws IOException {
    KvState s = new KvState(in.readInt());
    s.throughEpoch = in.readLong();
    if (in.readBoolean()) {
      s.last = new TxnId(in.readLong(), in.readInt());
    }
    s.applied = in.readLong();
    s.chain = in.readLong();
    int n = in.readInt();
    for (int i = 0; i < n; i++) {
      byte[] c = in.readNBytes(in.readUnsignedShort());
      byte[] k = in.readNBytes(in.readUnsignedShort());
      s.put(new Key(new String(c, StandardCharsets.UTF_8), k), in.readLong());
    }
    return s;
  }

  // ---- hashing (stable across JVMs and runs) ----

  static long mix(long h, long v) {
    long x = h ^ (v + 0x9E3779B97F4A7C15L + (h << 6) + (h >>> 2));
    x ^= x >>> 33;
    x *= 0xff51afd7ed558ccdL;
    x ^= x >>> 33;
    x *= 0xc4ceb9fe1a85ec53L;
    x ^= x >>> 33;
    return x;
  }

  static long hash(byte[] bytes) {
    long h = 0xcbf29ce484222325L;
    for (byte b : bytes) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    return h;
  }

  private static long keyHash(Key k) {
    return mix(hash(k.collection().getBytes(StandardCharsets.UTF_8)), hash(k.keyUnsafe()));
  }
}
