package org.calvinseq.it;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.queue.VShardConsumer;

/** Generated transactions and helpers shared by the integration tests. */
final class TestTxns {
  private TestTxns() {}

  /** A txn reading one and writing one key of random collections among {@code collections}. */
  static Txn txn(Random rnd, int collections, long clientId, long seq) {
    Key read = Key.of("c" + rnd.nextInt(collections), "k" + rnd.nextInt(1000));
    Key write = Key.of("c" + rnd.nextInt(collections), "k" + rnd.nextInt(1000));
    byte[] payload = ("payload-" + seq).getBytes(StandardCharsets.UTF_8);
    return new Txn(new ClientTxnId(clientId, seq), 7, List.of(read), List.of(write), payload);
  }

  static EpochBatch batch(Random rnd, int txns, int collections, long clientId, long firstSeq) {
    List<Txn> out = new ArrayList<>(txns);
    for (int i = 0; i < txns; i++) {
      out.add(txn(rnd, collections, clientId, firstSeq + i));
    }
    return EpochBatch.auto(System.currentTimeMillis(), out);
  }

  /** Everything the consumer has now. */
  static List<SequencedTxn> drain(VShardConsumer c) {
    List<SequencedTxn> out = new ArrayList<>();
    c.drain(out::add, Integer.MAX_VALUE);
    return out;
  }
}
