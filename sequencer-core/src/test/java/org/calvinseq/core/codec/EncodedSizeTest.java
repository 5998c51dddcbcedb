package org.calvinseq.core.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.Txn;
import org.junit.jupiter.api.Test;

class EncodedSizeTest {
  @Test
  void txnBoundIsNeverBelowTheEncodedSize() throws IOException {
    Random rnd = new Random(5);
    for (int i = 0; i < 2000; i++) {
      Txn t = randomTxn(rnd);
      assertThat(EncodedSize.txnBound(t)).isGreaterThanOrEqualTo(EntryEncoder.txnSize(t));
    }
  }

  @Test
  void batchOverheadCoversTheWidestEmptyBatch() {
    EpochBatch empty = new EpochBatch(Long.MAX_VALUE, Long.MAX_VALUE, List.of());
    assertThat(EntryEncoder.encode(empty).length).isLessThanOrEqualTo(EncodedSize.BATCH_OVERHEAD);
  }

  @Test
  void aBatchWithinTheSumOfBoundsEncodesWithinIt() {
    Random rnd = new Random(9);
    for (int round = 0; round < 20; round++) {
      List<Txn> txns = new ArrayList<>();
      long bound = EncodedSize.BATCH_OVERHEAD;
      for (int i = 1 + rnd.nextInt(70_000); i > 0; i--) {
        Txn t = randomSmallTxn(rnd);
        txns.add(t);
        bound += EncodedSize.txnBound(t);
      }
      EpochBatch b = new EpochBatch(Long.MAX_VALUE, Long.MAX_VALUE, txns);
      assertThat((long) EntryEncoder.encode(b).length).isLessThanOrEqualTo(bound);
      // Grouped, each txn heads its own group (random ids): the widest a grouped batch gets.
      assertThat((long) EntryEncoder.encodeGrouped(b).length).isLessThanOrEqualTo(bound);
    }
  }

  private static Txn randomSmallTxn(Random rnd) {
    return new Txn(
        rnd.nextBoolean() ? new ClientTxnId(rnd.nextLong(), rnd.nextLong()) : null,
        rnd.nextLong(),
        List.of(),
        List.of(new Key("c" + rnd.nextInt(100), bytes(rnd, rnd.nextInt(4)))),
        bytes(rnd, rnd.nextInt(3)));
  }

  static Txn randomTxn(Random rnd) {
    List<Key> read = new ArrayList<>();
    List<Key> write = new ArrayList<>();
    for (int k = rnd.nextInt(6); k > 0; k--) {
      (rnd.nextBoolean() ? read : write).add(new Key(name(rnd), bytes(rnd, rnd.nextInt(300))));
    }
    if (read.isEmpty() && write.isEmpty()) {
      write.add(Key.of("c", "k"));
    }
    ClientTxnId id = rnd.nextBoolean() ? new ClientTxnId(rnd.nextLong(), rnd.nextLong()) : null;
    long tenant = rnd.nextBoolean() ? rnd.nextLong() : rnd.nextInt(100);
    return new Txn(id, tenant, read, write, bytes(rnd, rnd.nextInt(70_000)));
  }

  private static String name(Random rnd) {
    StringBuilder sb = new StringBuilder("c");
    for (int i = rnd.nextInt(40); i > 0; i--) {
      sb.append((char) (rnd.nextInt(4) == 0 ? 0x4e00 + rnd.nextInt(100) : 'a' + rnd.nextInt(26)));
    }
    return sb.toString();
  }

  private static byte[] bytes(Random rnd, int n) {
    byte[] b = new byte[n];
    rnd.nextBytes(b);
    return b;
  }
}
