package org.calvinseq.core.testing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.calvinseq.core.model.AckBatch;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.CompletionAck;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.routing.CollectionHashRouter;

/** Small builders for model values, so tests say what they mean instead of how to build it. */
public final class Fixtures {
  private Fixtures() {}

  /** A collection name that {@code router} maps to {@code vshard}; the first of c0, c1, ... */
  public static String collectionOn(CollectionHashRouter router, int vshard) {
    for (int i = 0; i < 100_000; i++) {
      String name = "c" + i;
      if (router.vshardOfCollection(name) == vshard) {
        return name;
      }
    }
    throw new AssertionError("no collection maps to vshard " + vshard);
  }

  /** Two collection names on distinct vshards, as the seed's tests pick them. */
  public static String[] twoCollectionsOnDistinctVShards(CollectionHashRouter router) {
    String first = "col_0";
    int v = router.vshardOfCollection(first);
    for (int i = 1; i < 512; i++) {
      String name = "col_" + i;
      if (router.vshardOfCollection(name) != v) {
        return new String[] {first, name};
      }
    }
    throw new AssertionError("all collections on one vshard");
  }

  public static Key key(String collection, String key) {
    return new Key(collection, key.getBytes(StandardCharsets.UTF_8));
  }

  /** A txn that writes one key in each of {@code collections}. */
  public static Txn writing(String... collections) {
    List<Key> keys = new ArrayList<>();
    for (String c : collections) {
      keys.add(key(c, "k"));
    }
    return new Txn(null, 1, List.of(), keys, "plan".getBytes(StandardCharsets.UTF_8));
  }

  /** A txn that reads {@code read} and writes {@code write}, with a client id. */
  public static Txn txn(long clientSeq, List<Key> read, List<Key> write) {
    return new Txn(new ClientTxnId(7, clientSeq), 1, read, write, new byte[] {(byte) clientSeq});
  }

  public static EpochBatch auto(long proposerMs, Txn... txns) {
    return EpochBatch.auto(proposerMs, Arrays.asList(txns));
  }

  public static EpochBatch named(long epoch, long proposerMs, Txn... txns) {
    return new EpochBatch(epoch, proposerMs, Arrays.asList(txns));
  }

  public static AckBatch acks(CompletionAck... acks) {
    return new AckBatch(Arrays.asList(acks));
  }

  public static CompletionAck ack(long epoch, int position, int vshard, int participants) {
    return new CompletionAck(new TxnId(epoch, position), vshard, participants);
  }
}
