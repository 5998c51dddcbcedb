package org.calvinseq.core.testing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.calvinseq.core.apply.ApplyResult.Kind;
import org.calvinseq.core.codec.EntryEncoder;
import org.calvinseq.core.codec.WireFormat;
import org.calvinseq.core.dedupe.DedupeLimits;
import org.calvinseq.core.model.AckBatch;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.ClusterInit;
import org.calvinseq.core.model.CompletionAck;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.NotSequenced;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.routing.CollectionHashRouter;

/**
 * Generates a committed log from a seed: mostly batches that take the next epoch, plus batches
 * naming the expected, a lower (stale) or a higher (gap) epoch, ack entries, undecodable entries
 * and unused Raft indexes. Txns carry client txn ids of a few clients (some with hostile ids and
 * sequences at the edges of the signed and unsigned ranges), and some batches retry txns of earlier
 * ones, whole, in part, reordered or mixed with new txns. De-duplication starts with a cluster-init
 * entry recording apply rules 2 or 3, the first entry unless asked for later, and now and then a
 * cluster-init entry of an older or newer leader (rules 1 to 3) follows; a lower one must not stop
 * either rule. From rules 3 on most batches are grouped (format 2); before, a grouped batch is an
 * entry that does not decode. Alongside it keeps the {@link ReferenceModel} of what applying the
 * log must produce, and what each entry must yield.
 */
public final class LogGenerator {
  /**
   * One committed entry and what applying it must report: its kind and, for a sequenced batch, the
   * txns that are not sequenced.
   */
  public record Entry(long index, byte[] bytes, Kind expected, List<NotSequenced> notSequenced) {
    public Entry(long index, byte[] bytes, Kind expected) {
      this(index, bytes, expected, List.of());
    }
  }

  /** Client ids and first sequences, some at the edges of the signed and unsigned ranges. */
  private static final long[][] CLIENTS = {
    {0x51, 0}, {0x52, Long.MAX_VALUE - 6}, {0x53, -4}, {0, 1}, {-1, Long.MIN_VALUE},
  };

  private static final long[] HOSTILE_SEQUENCES = {0, -1, Long.MIN_VALUE, Long.MAX_VALUE, 1};

  /** Collection names: ASCII and non-ASCII (2-, 3- and 4-byte UTF-8), spread over the vshards. */
  public static final List<String> COLLECTIONS =
      List.of(
          "orders", "users", "items", "c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "été", "日本語",
          "😀emoji", "Ωmega", "𝄞clef");

  private final SplittableRandom rnd;
  private final CollectionHashRouter router;
  private final int activateAfter;
  private boolean activated;
  private final ReferenceModel model;
  private final List<Entry> entries = new ArrayList<>();
  private long nextIndex = 1;
  private long clock = 1_700_000_000_000L;
  private final long[] nextSequence = new long[CLIENTS.length];
  private final List<List<Txn>> recent = new ArrayList<>(); // batches that txns may be retried from

  public LogGenerator(long seed, CollectionHashRouter router) {
    this(seed, router, DedupeLimits.PROTOCOL);
  }

  /** A generator whose model de-duplicates with {@code limits} (the machines must use them too). */
  public LogGenerator(long seed, CollectionHashRouter router, DedupeLimits limits) {
    this(seed, router, limits, 0);
  }

  /**
   * A generator whose log turns de-duplication on with its entry number {@code activateAfter} (a
   * cluster-init entry recording apply rules 2); before it, retries are sequenced again, as under
   * the rules of a version before de-duplication.
   */
  public LogGenerator(
      long seed, CollectionHashRouter router, DedupeLimits limits, int activateAfter) {
    this.rnd = new SplittableRandom(seed);
    this.router = router;
    this.activateAfter = activateAfter;
    this.model = new ReferenceModel(router, limits);
    for (int i = 0; i < CLIENTS.length; i++) {
      nextSequence[i] = CLIENTS[i][1];
    }
  }

  /** The proposers' clock as it stands (it moves, with skew, as entries are generated). */
  public long clock() {
    return clock;
  }

  public ReferenceModel model() {
    return model;
  }

  public List<Entry> entries() {
    return entries;
  }

  /** Generates {@code n} entries; returns them all. */
  public List<Entry> generate(int n) {
    for (int i = 0; i < n; i++) {
      next();
    }
    return entries;
  }

  /**
   * Epochs a hostile or broken proposer might name, given the next epoch: most are out of range.
   */
  private static final java.util.function.LongUnaryOperator[] HOSTILE_EPOCHS = {
    n -> Long.MAX_VALUE,
    n -> Long.MAX_VALUE - 1,
    n -> n + org.calvinseq.core.codec.WireFormat.MAX_EPOCH_GAP + 1,
    n -> n + 2 * org.calvinseq.core.codec.WireFormat.MAX_EPOCH_GAP,
  };

  private static final long[] HOSTILE_MS = {Long.MAX_VALUE, Long.MIN_VALUE, -1, Long.MAX_VALUE - 1};

  /** The cluster-init entry that turns de-duplication on, once its time has come. */
  private Entry activateIfDue() {
    if (activated || entries.size() < activateAfter) {
      return null;
    }
    activated = true;
    return clusterInit(rnd.nextInt(3) == 0 ? WireFormat.RULES_DEDUPE : WireFormat.RULES_VERSION);
  }

  private Entry clusterInit(int rules) {
    ClusterInit init = new ClusterInit(router.vshardCount(), "generated", rules);
    model.apply(init);
    Entry e = new Entry(nextIndex++, EntryEncoder.encode(init), Kind.CLUSTER_INIT);
    entries.add(e);
    return e;
  }

  /** Generates, records and returns the next entry. */
  public Entry next() {
    Entry init = activateIfDue();
    if (init != null) {
      return init;
    }
    if (rnd.nextInt(60) == 0) {
      return clusterInit(1 + rnd.nextInt(WireFormat.RULES_VERSION)); // a new leader's entry
    }
    if (rnd.nextInt(10) == 0) {
      nextIndex += 1 + rnd.nextInt(3); // indexes used by configuration entries
    }
    clock += rnd.nextInt(4) == 0 ? -rnd.nextInt(50) : rnd.nextInt(10); // proposers' clocks skew
    int roll = rnd.nextInt(100);
    byte[] bytes;
    Kind kind;
    if (roll < 8) {
      bytes = garbage();
      kind = Kind.DECODE_ERROR;
    } else if (roll < 20) {
      AckBatch acks = acks();
      bytes = EntryEncoder.encode(acks);
      kind = Kind.ACKS;
    } else {
      long next = model.nextEpoch();
      long epoch = EpochBatch.AUTO_EPOCH;
      if (roll < 30) {
        epoch = next;
      } else if (roll < 37 && next > 0) {
        epoch = Math.max(0, next - 1 - rnd.nextInt(3));
      } else if (roll < 42) {
        epoch = next + 1 + rnd.nextInt(3);
      } else if (roll < 44) {
        epoch = HOSTILE_EPOCHS[rnd.nextInt(HOSTILE_EPOCHS.length)].applyAsLong(next);
      }
      long ms = clock;
      if (rnd.nextInt(50) == 0) {
        ms = HOSTILE_MS[rnd.nextInt(HOSTILE_MS.length)]; // one wild proposer clock
      }
      return append(new EpochBatch(epoch, ms, batchTxns()));
    }
    Entry e = new Entry(nextIndex++, bytes, kind);
    entries.add(e);
    return e;
  }

  /**
   * Logs {@code b} as the next committed entry (a client's proposal), after the entry that turns
   * de-duplication on if that is due; returns it.
   */
  public Entry propose(EpochBatch b) {
    activateIfDue();
    if (rnd.nextInt(10) == 0) {
      nextIndex += 1 + rnd.nextInt(3);
    }
    return append(b);
  }

  private Entry append(EpochBatch b) {
    boolean grouped = model.rulesVersion() >= WireFormat.RULES_GROUPED && rnd.nextInt(4) != 0;
    Kind kind = model.apply(b);
    byte[] bytes = grouped ? EntryEncoder.encodeGrouped(b) : EntryEncoder.encode(b);
    Entry e = new Entry(nextIndex++, bytes, kind, model.lastNotSequenced());
    entries.add(e);
    return e;
  }

  /** A new batch's txns; one in five retries some txns of a recent batch. */
  private List<Txn> batchTxns() {
    List<Txn> out = new ArrayList<>();
    if (!recent.isEmpty() && rnd.nextInt(5) == 0) {
      List<Txn> from = recent.get(recent.size() - 1 - rnd.nextInt(recent.size()));
      int roll = rnd.nextInt(4);
      for (Txn t : from) {
        if (roll != 1 || rnd.nextBoolean()) {
          out.add(t); // roll 0: the whole batch again; 1: some of it
        }
      }
      if (roll == 2) {
        java.util.Collections.reverse(out);
      }
      if (roll == 3) {
        out.addAll(rnd.nextInt(out.size() + 1), txns(1 + rnd.nextInt(2)));
      }
      if (rnd.nextInt(4) == 0 && !out.isEmpty()) {
        out.add(out.get(rnd.nextInt(out.size()))); // the same txn twice in one batch
      }
    } else {
      out.addAll(txns(rnd.nextInt(5)));
    }
    recent.add(out);
    if (recent.size() > 30) {
      recent.remove(0);
    }
    return out;
  }

  private List<Txn> txns(int n) {
    List<Txn> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(txn());
    }
    return out;
  }

  /** A txn with one to five keys; sets may be given unsorted and with duplicates. */
  public Txn txn() {
    List<Key> read = keys(rnd.nextInt(3));
    List<Key> write = keys(1 + rnd.nextInt(3));
    if (rnd.nextInt(4) == 0) {
      write = new ArrayList<>();
      read = keys(1 + rnd.nextInt(2));
    }
    ClientTxnId id = null;
    int roll = rnd.nextInt(20);
    if (roll < 9) {
      int c = rnd.nextInt(CLIENTS.length);
      id = new ClientTxnId(CLIENTS[c][0], nextSequence[c]++);
    } else if (roll == 9) {
      id = new ClientTxnId(rnd.nextLong(), rnd.nextLong()); // a client seen once
    } else if (roll == 10) {
      id =
          new ClientTxnId(
              CLIENTS[rnd.nextInt(CLIENTS.length)][0],
              HOSTILE_SEQUENCES[rnd.nextInt(HOSTILE_SEQUENCES.length)]);
    }
    long tenant = rnd.nextInt(3) == 0 ? rnd.nextLong() : rnd.nextInt(4);
    byte[] payload = new byte[rnd.nextInt(8)];
    rnd.nextBytes(payload);
    return new Txn(id, tenant, read, write, payload);
  }

  private List<Key> keys(int n) {
    List<Key> keys = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      byte[] k = new byte[rnd.nextInt(3)];
      rnd.nextBytes(k);
      keys.add(new Key(COLLECTIONS.get(rnd.nextInt(COLLECTIONS.size())), k));
    }
    return keys;
  }

  /** Acks for sequenced txns (each participant once, sometimes twice), and some for unknown ids. */
  private AckBatch acks() {
    List<CompletionAck> acks = new ArrayList<>();
    List<SequencedTxn> all = model.all();
    int n = 1 + rnd.nextInt(4);
    for (int i = 0; i < n; i++) {
      if (all.isEmpty() || rnd.nextInt(5) == 0) {
        acks.add(
            Fixtures.ack(rnd.nextInt(1000), rnd.nextInt(5), rnd.nextInt(8), 1 + rnd.nextInt(3)));
        continue;
      }
      SequencedTxn s = all.get(all.size() - 1 - rnd.nextInt(Math.min(all.size(), 20)));
      List<Integer> ps = new ArrayList<>(model.participants(s.txn()));
      int v = ps.get(rnd.nextInt(ps.size()));
      acks.add(Fixtures.ack(s.epoch(), s.position(), v, ps.size()));
    }
    return new AckBatch(acks);
  }

  /**
   * Bytes that must not decode: noise, a cut valid entry, a wrong version, an unknown type, a
   * grouped batch that is not canonical, or one before the rules that read grouped batches.
   */
  private byte[] garbage() {
    switch (rnd.nextInt(6)) {
      case 0 -> {
        byte[] b = new byte[rnd.nextInt(24)];
        rnd.nextBytes(b);
        if (b.length > 0) {
          b[0] = (byte) 0xc1; // a byte msgpack never uses
        }
        return b;
      }
      case 1 -> {
        byte[] valid = EntryEncoder.encode(EpochBatch.auto(clock, txns(1 + rnd.nextInt(2))));
        return Arrays.copyOf(valid, rnd.nextInt(valid.length));
      }
      case 2 -> {
        return new byte[] {(byte) 0x84, 0, 7, 1, 1, 3, 0, 4, (byte) 0x90}; // version 7
      }
      case 3 -> {
        // Grouped, two groups without ids where the canonical form has one.
        return new byte[] {
          (byte) 0x84,
          0,
          2,
          1,
          1,
          3,
          0,
          4,
          (byte) 0x92,
          (byte) 0x92,
          (byte) 0xC0,
          (byte) 0x91,
          (byte) 0x80,
          (byte) 0x92,
          (byte) 0xC0,
          (byte) 0x91,
          (byte) 0x80
        };
      }
      case 4 -> {
        if (model.rulesVersion() < WireFormat.RULES_GROUPED) {
          return EntryEncoder.encodeGrouped(EpochBatch.auto(clock, txns(1 + rnd.nextInt(2))));
        }
        return new byte[] {(byte) 0x83, 0, 1, 1, 99, 4, (byte) 0x90}; // type 99
      }
      default -> {
        return new byte[] {(byte) 0x83, 0, 1, 1, 99, 4, (byte) 0x90}; // type 99
      }
    }
  }
}
