package org.calvinseq.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.calvinseq.core.codec.EntryEncoder;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.routing.CollectionHashRouter;

/**
 * The batch every micro-benchmark works on: {@value #TXNS} txns of {@value #TXN_BYTES} encoded
 * bytes each. Every txn has a client id, reads 2 keys and writes 2 keys (8-byte keys) in 2
 * collections (3-character names) that route to 2 different vshards, and a payload (11 bytes) sized
 * so that the txn map encodes to exactly {@value #TXN_BYTES} bytes. Built from a fixed seed, so
 * every run measures the same bytes.
 */
final class BatchFixture {
  static final int TXNS = 1000;
  static final int TXN_BYTES = 100;
  static final int COLLECTIONS = 16;
  static final long SEED = 0x5EC_0E11CEL;

  final CollectionHashRouter router = new CollectionHashRouter();
  final String[] collections = new String[COLLECTIONS];
  final EpochBatch batch;
  final byte[] encoded;

  /**
   * The same txns with the client txn ids a leader's epoch has: {@value #GROUPS} clients'
   * submissions of consecutive sequences, one after another; and that batch grouped, as the leader
   * writes it (docs/wire-format.md, 3a), each txn 19 bytes shorter and each group 20.
   */
  final EpochBatch groupedBatch;

  final byte[] groupedEncoded;

  static final int GROUPS = 10;

  BatchFixture() {
    for (int i = 0; i < COLLECTIONS; i++) {
      collections[i] = String.format("t%02d", i);
    }
    checkDistinctVShards();
    SplittableRandom rnd = new SplittableRandom(SEED);
    int payloadBytes = TXN_BYTES - encodedSize(txn(rnd.split(), new byte[0]));
    if (payloadBytes < 0) {
      throw new IllegalStateException("txn without payload is over " + TXN_BYTES + " bytes");
    }
    List<Txn> txns = new ArrayList<>(TXNS);
    for (int i = 0; i < TXNS; i++) {
      byte[] payload = new byte[payloadBytes];
      rnd.nextBytes(payload);
      Txn t = txn(rnd, payload);
      if (encodedSize(t) != TXN_BYTES) {
        throw new IllegalStateException("txn encodes to " + encodedSize(t) + " bytes: " + t);
      }
      txns.add(t);
    }
    batch = EpochBatch.auto(1_700_000_000_000L, txns);
    encoded = EntryEncoder.encode(batch);
    List<Txn> regrouped = new ArrayList<>(TXNS);
    for (int i = 0; i < TXNS; i++) {
      Txn t = txns.get(i);
      int client = i / (TXNS / GROUPS);
      ClientTxnId id = new ClientTxnId(0x5EC0_0000L + client, 1_000_000L + i % (TXNS / GROUPS));
      regrouped.add(new Txn(id, t.tenantId(), t.readSet(), t.writeSet(), t.payload()));
    }
    groupedBatch = EpochBatch.auto(1_700_000_000_000L, regrouped);
    groupedEncoded = EntryEncoder.encodeGrouped(groupedBatch);
  }

  /** The vshards the batch touches, each once. */
  int[] participatingVShards() {
    return java.util.Arrays.stream(collections).mapToInt(router::vshardOfCollection).toArray();
  }

  private Txn txn(SplittableRandom rnd, byte[] payload) {
    int a = rnd.nextInt(COLLECTIONS);
    int b = (a + 1 + rnd.nextInt(COLLECTIONS - 1)) % COLLECTIONS;
    ClientTxnId id = new ClientTxnId(rnd.nextLong(), rnd.nextLong(1L << 40));
    long tenant = rnd.nextInt(100);
    List<Key> reads = List.of(key(collections[a], rnd), key(collections[b], rnd));
    List<Key> writes = List.of(key(collections[a], rnd), key(collections[b], rnd));
    return new Txn(id, tenant, reads, writes, payload);
  }

  private static Key key(String collection, SplittableRandom rnd) {
    byte[] k = new byte[8];
    rnd.nextBytes(k);
    return new Key(collection, k);
  }

  private static int encodedSize(Txn t) {
    // The difference between a one-txn and an empty batch: both have a one-byte array header.
    return EntryEncoder.encode(EpochBatch.auto(1_700_000_000_000L, List.of(t))).length
        - EntryEncoder.encode(EpochBatch.auto(1_700_000_000_000L, List.of())).length;
  }

  private void checkDistinctVShards() {
    long distinct =
        java.util.Arrays.stream(collections)
            .mapToInt(router::vshardOfCollection)
            .distinct()
            .count();
    if (distinct != COLLECTIONS) {
      throw new IllegalStateException("fixture collections must route to distinct vshards");
    }
  }
}
