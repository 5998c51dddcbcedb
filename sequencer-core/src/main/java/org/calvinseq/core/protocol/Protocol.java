package org.calvinseq.core.protocol;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.calvinseq.core.apply.ApplyResult;
import org.calvinseq.core.codec.CodecException;
import org.calvinseq.core.codec.EntryDecoder;
import org.calvinseq.core.codec.EntryEncoder;
import org.calvinseq.core.completion.CompletionOutcome;
import org.calvinseq.core.completion.CompletionState;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.replay.ReplayPager;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePackException;
import org.msgpack.core.MessageUnpacker;

/**
 * Encodings of the messages between client and node that are not log entries: receipts (the reply
 * to a proposal) and read-only queries (status, replay pages, completion state). Positional msgpack
 * arrays with a leading kind; these never enter the log. Receipts carry a format version and are
 * specified in docs/wire-format.md (section 13), since clients in other languages read them; the
 * queries and their answers are in section 14. Answers only ever grow by appended elements, which
 * older readers ignore.
 */
public final class Protocol {
  private Protocol() {}

  public static final int Q_STATUS = 1;
  public static final int Q_REPLAY = 2;
  public static final int Q_COMPLETION = 3;

  /** A replay page request: txns of {@code vshard} after {@code (afterEpoch, afterPosition)}. */
  public record ReplayQuery(
      int vshard, long fromEpoch, long toEpoch, long afterEpoch, int afterPosition, int maxTxns) {}

  /** An epoch a message does not give (a node of an older version did not send it). */
  public static final long UNKNOWN_EPOCH = ReplayPager.UNKNOWN_EPOCH;

  /**
   * One page of a replay. {@code done} when the range is exhausted; otherwise the next page starts
   * after the last txn of this one. {@code firstAvailableEpoch >= 0} signals that the range is no
   * longer retained (and {@code txns} is empty).
   *
   * @param completeThroughEpoch on the last page ({@code done}) of a served range: the last epoch
   *     through which the range is complete, {@code min(toEpoch, the serving node's last applied
   *     epoch when it read the page)}; a value below {@code fromEpoch} means none of the range was
   *     applied yet. {@link #UNKNOWN_EPOCH} on other pages and from nodes that predate the field.
   */
  public record ReplayPage(
      List<SequencedTxn> txns, boolean done, long firstAvailableEpoch, long completeThroughEpoch) {
    public ReplayPage(List<SequencedTxn> txns, boolean done, long firstAvailableEpoch) {
      this(txns, done, firstAvailableEpoch, UNKNOWN_EPOCH);
    }

    /** The answer that carries {@code page}, as the node's {@link ReplayPager} cut it. */
    public static ReplayPage of(ReplayPager.Page page) {
      return new ReplayPage(
          page.txns(), page.done(), page.firstAvailableEpoch(), page.completeThroughEpoch());
    }
  }

  // ---- receipts ----

  /** The receipt format this code writes, and the only one it reads (besides the unversioned). */
  public static final int RECEIPT_VERSION = 1;

  /** Elements of an unversioned receipt, as written before the version was added. */
  private static final int RECEIPT_FIELDS_V0 = 6;

  /**
   * A receipt as a msgpack array {@code [outcome, index, epoch, epochSystemMs, txnCount,
   * expectedEpoch, version]}, specified in docs/wire-format.md (section 13). The version is last so
   * that readers written before it existed, which read six elements and ignore the rest, still read
   * it.
   */
  public static byte[] encodeReceipt(BatchReceipt r) {
    return pack(
        p -> {
          p.packArrayHeader(RECEIPT_FIELDS_V0 + 1);
          p.packInt(r.outcome().ordinal());
          p.packLong(r.index()).packLong(r.epoch()).packLong(r.epochSystemMs());
          p.packInt(r.txnCount()).packLong(r.expectedEpoch());
          p.packInt(RECEIPT_VERSION);
        });
  }

  /**
   * Reads a receipt of version 1, or an unversioned one (six elements, the same meaning). Elements
   * after the version are skipped: later versions of the same meaning may append fields.
   *
   * @throws CodecException when the bytes are not a receipt, name an unknown outcome, or carry a
   *     version other than 1 (field {@code receipt.version})
   */
  public static BatchReceipt decodeReceipt(ByteBuffer bytes) throws CodecException {
    int[] version = {RECEIPT_VERSION};
    BatchReceipt r =
        unpack(
            bytes,
            u -> {
              int n = u.unpackArrayHeader();
              if (n < RECEIPT_FIELDS_V0) {
                throw new IllegalArgumentException(
                    "a receipt has at least " + RECEIPT_FIELDS_V0 + " elements, not " + n);
              }
              ApplyResult.Kind kind = ApplyResult.Kind.values()[u.unpackInt()];
              BatchReceipt read =
                  new BatchReceipt(
                      kind,
                      u.unpackLong(),
                      u.unpackLong(),
                      u.unpackLong(),
                      u.unpackInt(),
                      u.unpackLong());
              if (n > RECEIPT_FIELDS_V0) {
                version[0] = u.unpackInt();
                for (int i = RECEIPT_FIELDS_V0 + 1; i < n; i++) {
                  u.skipValue();
                }
              }
              return read;
            });
    if (version[0] != RECEIPT_VERSION) {
      throw new CodecException(
          "receipt.version",
          0,
          "unsupported receipt version "
              + version[0]
              + " (this client reads "
              + RECEIPT_VERSION
              + ")");
    }
    return r;
  }

  // ---- queries ----

  public static byte[] statusQuery() {
    return pack(p -> p.packArrayHeader(1).packInt(Q_STATUS));
  }

  public static byte[] replayQuery(ReplayQuery q) {
    return pack(
        p ->
            p.packArrayHeader(7)
                .packInt(Q_REPLAY)
                .packInt(q.vshard())
                .packLong(q.fromEpoch())
                .packLong(q.toEpoch())
                .packLong(q.afterEpoch())
                .packInt(q.afterPosition())
                .packInt(q.maxTxns()));
  }

  public static byte[] completionQuery(TxnId id) {
    return pack(
        p ->
            p.packArrayHeader(3).packInt(Q_COMPLETION).packLong(id.epoch()).packInt(id.position()));
  }

  /** The kind of a query, and its fields as decoded objects. */
  public sealed interface Query permits StatusQ, ReplayQ, CompletionQ {}

  public record StatusQ() implements Query {}

  public record ReplayQ(ReplayQuery query) implements Query {}

  public record CompletionQ(TxnId txnId) implements Query {}

  public static Query decodeQuery(ByteBuffer bytes) throws CodecException {
    return unpack(
        bytes,
        u -> {
          int n = u.unpackArrayHeader();
          int kind = u.unpackInt();
          switch (kind) {
            case Q_STATUS:
              return new StatusQ();
            case Q_REPLAY:
              if (n < 7) {
                throw new IllegalArgumentException("replay query needs 7 fields");
              }
              return new ReplayQ(
                  new ReplayQuery(
                      u.unpackInt(),
                      u.unpackLong(),
                      u.unpackLong(),
                      u.unpackLong(),
                      u.unpackInt(),
                      u.unpackInt()));
            case Q_COMPLETION:
              return new CompletionQ(new TxnId(u.unpackLong(), u.unpackInt()));
            default:
              throw new IllegalArgumentException("unknown query kind " + kind);
          }
        });
  }

  public static byte[] encodeStatus(NodeStatus s) {
    return pack(
        p ->
            p.packArrayHeader(9)
                .packString(s.nodeId())
                .packString(s.role())
                .packString(s.leaderId())
                .packLong(s.term())
                .packLong(s.lastAppliedEpoch())
                .packLong(s.lastAppliedIndex())
                .packLong(s.commitIndex())
                .packLong(s.firstReplayableEpoch())
                .packInt(s.vshardCount()));
  }

  public static NodeStatus decodeStatus(ByteBuffer bytes) throws CodecException {
    return unpack(
        bytes,
        u -> {
          u.unpackArrayHeader();
          return new NodeStatus(
              u.unpackString(),
              u.unpackString(),
              u.unpackString(),
              u.unpackLong(),
              u.unpackLong(),
              u.unpackLong(),
              u.unpackLong(),
              u.unpackLong(),
              u.unpackInt());
        });
  }

  /**
   * A page as {@code [txns, done, firstAvailableEpoch, completeThroughEpoch]} (docs/wire-format.md,
   * section 14). Replay pages carry each txn as [epoch, position, epochSystemMs, bin(batch entry
   * holding just that txn)], so the txn uses the log's own wire format. The fourth element is
   * newer: readers that read three ignore it, and a three-element page reads as {@link
   * #UNKNOWN_EPOCH}.
   */
  public static byte[] encodePage(ReplayPage page) {
    return pack(
        p -> {
          p.packArrayHeader(4);
          p.packArrayHeader(page.txns().size());
          for (SequencedTxn t : page.txns()) {
            p.packArrayHeader(4).packLong(t.epoch()).packInt(t.position());
            p.packLong(t.epochSystemMs());
            byte[] entry = EntryEncoder.encode(EpochBatch.auto(0, List.of(t.txn())));
            p.packBinaryHeader(entry.length).writePayload(entry);
          }
          p.packBoolean(page.done());
          p.packLong(page.firstAvailableEpoch());
          p.packLong(page.completeThroughEpoch());
        });
  }

  public static ReplayPage decodePage(ByteBuffer bytes) throws CodecException {
    EntryDecoder decoder = new EntryDecoder();
    try (MessageUnpacker u = unpacker(bytes)) {
      int fields = u.unpackArrayHeader();
      int n = u.unpackArrayHeader();
      List<SequencedTxn> txns = new ArrayList<>(Math.min(n, 65_536));
      for (int i = 0; i < n; i++) {
        u.unpackArrayHeader();
        long epoch = u.unpackLong();
        int position = u.unpackInt();
        long ms = u.unpackLong();
        byte[] entry = u.readPayload(u.unpackBinaryHeader());
        txns.add(new SequencedTxn(singleTxn(decoder, ByteBuffer.wrap(entry)), epoch, position, ms));
      }
      boolean done = u.unpackBoolean();
      long firstAvailable = u.unpackLong();
      long completeThrough = fields > 3 ? u.unpackLong() : UNKNOWN_EPOCH;
      return new ReplayPage(txns, done, firstAvailable, completeThrough);
    } catch (IOException | MessagePackException | IllegalArgumentException e) {
      throw new CodecException("replayPage", 0, e.getMessage(), e);
    }
  }

  public static byte[] encodeCompletion(CompletionState s) {
    return pack(
        p -> {
          p.packArrayHeader(7).packLong(s.txnId().epoch()).packInt(s.txnId().position());
          p.packBoolean(s.completed());
          p.packArrayHeader(s.acked().length);
          for (int v : s.acked()) {
            p.packInt(v);
          }
          p.packInt(s.outcome().code());
          p.packLong(s.evictedThroughEpoch()).packLong(s.evictedAtMs());
        });
  }

  public static CompletionState decodeCompletion(ByteBuffer bytes) throws CodecException {
    return unpack(
        bytes,
        u -> {
          int fields = u.unpackArrayHeader();
          TxnId id = new TxnId(u.unpackLong(), u.unpackInt());
          boolean done = u.unpackBoolean();
          int[] acked = new int[u.unpackArrayHeader()];
          for (int i = 0; i < acked.length; i++) {
            acked[i] = u.unpackInt();
          }
          if (fields < 7) { // a node that predates outcomes
            CompletionOutcome o =
                done
                    ? CompletionOutcome.COMPLETED
                    : acked.length > 0 ? CompletionOutcome.PENDING : CompletionOutcome.UNKNOWN;
            return new CompletionState(id, o, acked, -1, -1);
          }
          CompletionOutcome o = CompletionOutcome.ofCode(u.unpackInt());
          return new CompletionState(id, o, acked, u.unpackLong(), u.unpackLong());
        });
  }

  // ---- helpers ----

  private interface Writer {
    void write(MessageBufferPacker p) throws IOException;
  }

  private interface Reader<T> {
    T read(MessageUnpacker u) throws IOException;
  }

  /** msgpack-core reads only array-backed or direct buffers; copy a read-only heap buffer. */
  private static MessageUnpacker unpacker(ByteBuffer b) {
    if (b.hasArray() || b.isDirect()) {
      return MessagePack.newDefaultUnpacker(b.duplicate());
    }
    byte[] copy = new byte[b.remaining()];
    b.duplicate().get(copy);
    return MessagePack.newDefaultUnpacker(copy);
  }

  private static byte[] pack(Writer w) {
    try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
      w.write(p);
      return p.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static <T> T unpack(ByteBuffer bytes, Reader<T> r) throws CodecException {
    try (MessageUnpacker u = unpacker(bytes)) {
      return r.read(u);
    } catch (IOException | MessagePackException | IllegalArgumentException e) {
      throw new CodecException("message", 0, String.valueOf(e.getMessage()), e);
    } catch (ArrayIndexOutOfBoundsException e) {
      throw new CodecException("message", 0, "bad enum value", e);
    }
  }

  /** Txns from a page entry. */
  private static Txn singleTxn(EntryDecoder d, ByteBuffer entry) throws CodecException {
    if (d.decode(entry) instanceof EpochBatch b && b.txns().size() == 1) {
      return b.txns().get(0);
    }
    throw new CodecException("replayPage.txn", 0, "expected a batch of one txn");
  }
}
