package org.calvinseq.bench;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.calvinseq.core.codec.CodecException;
import org.calvinseq.core.codec.EntryDecoder;
import org.calvinseq.core.codec.EntryEncoder;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Txn;
import org.calvinseq.server.ratis.EncodedEntry;

/**
 * The entries a {@link ClusterLoadBenchmark} run proposes: the same epoch again and again, with new
 * client txn ids, as the leader inbox proposes it ({@link Leader}) or as a Raft client would
 * ({@link Client}).
 */
sealed interface Epochs {
  /** The bytes of each entry. */
  int size();

  /**
   * The epochs the leader inbox proposes: grouped batches, each with its own txn objects (the
   * inbox's decoded submissions) and encoded from them once ({@link EntryEncoder#encodeRun}, as the
   * inbox encodes each submission's txns when they arrive). Epoch k gives each txn its template
   * sequence plus k times the epoch's txns, so that every epoch is new txns to de-duplication.
   */
  final class Leader implements Epochs {
    private final List<Txn> template;
    private final long proposerMs = System.currentTimeMillis();
    private final AtomicLong proposals = new AtomicLong();
    private final int size;

    Leader(List<Txn> template) {
      for (Txn t : template) {
        if (t.clientTxnId() == null) {
          throw new IllegalArgumentException("a txn has no client txn id");
        }
      }
      this.template = List.copyOf(template);
      this.size = entry(0).getContent().size();
    }

    @Override
    public int size() {
      return size;
    }

    EncodedEntry next() {
      return entry(proposals.getAndIncrement());
    }

    private EncodedEntry entry(long k) {
      List<Txn> txns = new ArrayList<>(template.size());
      long shift = k * template.size();
      for (Txn t : template) {
        ClientTxnId id = t.clientTxnId();
        txns.add(
            new Txn(
                new ClientTxnId(id.clientId(), id.sequence() + shift),
                t.tenantId(),
                t.readSet(),
                t.writeSet(),
                t.payload()));
      }
      return EncodedEntry.of(
          EpochBatch.auto(proposerMs, txns), List.of(EntryEncoder.encodeRun(txns)));
    }
  }

  /**
   * One encoded epoch, proposed again and again with its client txn ids renumbered: proposal k
   * gives each txn its template sequence plus k times the epoch's txns, so that with de-duplication
   * on every proposal is new txns (as the inbox's epochs are) and the apply path pays its real
   * de-duplication cost instead of skipping repeats. Each proposal is a fresh copy: Ratis holds a
   * proposal's bytes until it is done with them.
   */
  final class Client implements Epochs {
    private final byte[] template;
    private final int[] sequenceAt; // offset of each txn's 8-byte sequence in the template
    private final long[] sequences;
    private final AtomicLong proposals = new AtomicLong();

    Client(byte[] template) {
      this.template = template;
      List<Txn> txns;
      try {
        txns = ((EpochBatch) new EntryDecoder().decode(ByteBuffer.wrap(template))).txns();
      } catch (CodecException e) {
        throw new IllegalArgumentException("not an epoch: " + e.getMessage(), e);
      }
      sequenceAt = new int[txns.size()];
      sequences = new long[txns.size()];
      int from = 0;
      for (int i = 0; i < txns.size(); i++) {
        ClientTxnId id = txns.get(i).clientTxnId();
        if (id == null) {
          throw new IllegalArgumentException("txn " + i + " has no client txn id");
        }
        // The id is a 16-byte bin: c4 10, the client id, the sequence (big-endian).
        byte[] pattern =
            ByteBuffer.allocate(18)
                .put((byte) 0xC4)
                .put((byte) 16)
                .putLong(id.clientId())
                .putLong(id.sequence())
                .array();
        int at = indexOf(template, pattern, from);
        if (at < 0) {
          throw new IllegalStateException("txn " + i + "'s client txn id not found");
        }
        sequenceAt[i] = at + 10;
        sequences[i] = id.sequence();
        from = at + pattern.length;
      }
    }

    @Override
    public int size() {
      return template.length;
    }

    byte[] next() {
      long k = proposals.getAndIncrement();
      byte[] b = template.clone();
      ByteBuffer w = ByteBuffer.wrap(b);
      for (int i = 0; i < sequenceAt.length; i++) {
        w.putLong(sequenceAt[i], sequences[i] + k * sequenceAt.length);
      }
      return b;
    }

    private static int indexOf(byte[] in, byte[] pattern, int from) {
      outer:
      for (int i = from; i <= in.length - pattern.length; i++) {
        for (int j = 0; j < pattern.length; j++) {
          if (in[i + j] != pattern[j]) {
            continue outer;
          }
        }
        return i;
      }
      return -1;
    }
  }
}
