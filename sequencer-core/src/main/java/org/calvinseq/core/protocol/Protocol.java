package org.calvinseq.core.protocol;

import static org.calvinseq.core.protocol.MsgpackMessages.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.calvinseq.core.apply.ApplyResult;
import org.calvinseq.core.codec.CodecException;
import org.calvinseq.core.codec.EntryDecoder;
import org.calvinseq.core.codec.EntryEncoder;
import org.calvinseq.core.codec.MsgpackOutput;
import org.calvinseq.core.completion.CompletionOutcome;
import org.calvinseq.core.completion.CompletionState;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.NotSequenced;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.replay.ReplayPager;
import org.msgpack.core.MessageBufferPacker;
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

  /** A submission to the leader's inbox (docs/wire-format.md, section 14a). */
  public static final int Q_SUBMIT = 4;

  /** Kind of a {@link Submitted} answer. */
  public static final int SUBMIT_ACCEPTED = 1;

  /** Kind of a {@link SubmitRefused} answer. */
  public static final int SUBMIT_REFUSED = 2;

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

  /**
   * The receipt format of a receipt in which every txn was sequenced (or of an entry that is not a
   * sequenced batch): the meaning of receipts before de-duplication, which older clients read.
   */
  public static final int RECEIPT_VERSION = 1;

  /**
   * The receipt format of a sequenced batch some of whose txns were not sequenced as retries: it
   * appends their list, which a version-1 reader would ignore and then report wrong ids for them.
   * The newest version this code reads.
   */
  public static final int RECEIPT_VERSION_NOT_SEQUENCED = 2;

  /** Elements of an unversioned receipt, as written before the version was added. */
  private static final int RECEIPT_FIELDS_V0 = 6;

  /**
   * A receipt as a msgpack array {@code [outcome, index, epoch, epochSystemMs, txnCount,
   * expectedEpoch, version]}, plus, in version 2, {@code notSequenced}: {@code [[position, reason,
   * originalEpoch, originalPosition], ...]}. Specified in docs/wire-format.md (section 13). The
   * version comes after the six original fields so that readers written before it existed, which
   * read six elements and ignore the rest, still read version 1. Version 2 is written only when
   * {@link BatchReceipt#notSequenced()} is not empty, so that a client that reads only version 1
   * fails on exactly the receipts it would misread.
   */
  public static byte[] encodeReceipt(BatchReceipt r) {
    boolean v2 = !r.notSequenced().isEmpty();
    return pack(
        p -> {
          p.packArrayHeader(RECEIPT_FIELDS_V0 + (v2 ? 2 : 1));
          p.packInt(r.outcome().ordinal());
          p.packLong(r.index()).packLong(r.epoch()).packLong(r.epochSystemMs());
          p.packInt(r.txnCount()).packLong(r.expectedEpoch());
          p.packInt(v2 ? RECEIPT_VERSION_NOT_SEQUENCED : RECEIPT_VERSION);
          if (v2) {
            p.packArrayHeader(r.notSequenced().size());
            for (NotSequenced n : r.notSequenced()) {
              TxnId o = n.original();
              p.packArrayHeader(4).packInt(n.position()).packInt(n.reason().code());
              p.packLong(o == null ? -1 : o.epoch()).packInt(o == null ? -1 : o.position());
            }
          }
        });
  }

  /**
   * Reads a receipt of version 1 or 2, or an unversioned one (six elements, the meaning of version
   * 1). Elements after those of its version are skipped: later revisions of a version may append
   * fields.
   *
   * @throws CodecException when the bytes are not a receipt or name an unknown outcome, at field
   *     {@code receipt.version} when they carry a version other than 1 and 2, and at field {@code
   *     receipt.notSequenced} when a version-2 list is missing or malformed
   */
  public static BatchReceipt decodeReceipt(ByteBuffer bytes) throws CodecException {
    try (MessageUnpacker u = unpacker(bytes)) {
      int n = u.unpackArrayHeader();
      if (n < RECEIPT_FIELDS_V0) {
        throw new CodecException(
            "receipt", 0, "a receipt has at least " + RECEIPT_FIELDS_V0 + " elements, not " + n);
      }
      int outcome = u.unpackInt();
      ApplyResult.Kind[] kinds = ApplyResult.Kind.values();
      if (outcome < 0 || outcome >= kinds.length) {
        throw new CodecException("receipt.outcome", 0, "unknown outcome " + outcome);
      }
      long index = u.unpackLong();
      long epoch = u.unpackLong();
      long ms = u.unpackLong();
      int txnCount = u.unpackInt();
      long expected = u.unpackLong();
      int version = n > RECEIPT_FIELDS_V0 ? u.unpackInt() : RECEIPT_VERSION;
      if (version != RECEIPT_VERSION && version != RECEIPT_VERSION_NOT_SEQUENCED) {
        throw new CodecException(
            "receipt.version",
            0,
            "unsupported receipt version "
                + version
                + " (this client reads "
                + RECEIPT_VERSION
                + " and "
                + RECEIPT_VERSION_NOT_SEQUENCED
                + ")");
      }
      List<NotSequenced> notSequenced = List.of();
      int known = RECEIPT_FIELDS_V0 + 1;
      if (version == RECEIPT_VERSION_NOT_SEQUENCED) {
        if (n < RECEIPT_FIELDS_V0 + 2) {
          throw new CodecException("receipt.notSequenced", 0, "version 2 without the list");
        }
        notSequenced = notSequenced(u, txnCount);
        known++;
      }
      for (int i = known; i < n; i++) {
        u.skipValue();
      }
      return new BatchReceipt(kinds[outcome], index, epoch, ms, txnCount, expected, notSequenced);
    } catch (IOException | MessagePackException | IllegalArgumentException e) {
      throw new CodecException("receipt", 0, String.valueOf(e.getMessage()), e);
    }
  }

  private static List<NotSequenced> notSequenced(MessageUnpacker u, int txnCount)
      throws IOException, CodecException {
    try {
      int count = u.unpackArrayHeader();
      if (count > txnCount) {
        throw new IllegalArgumentException(count + " entries for " + txnCount + " txns");
      }
      List<NotSequenced> out = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        int fields = u.unpackArrayHeader();
        if (fields < 4) {
          throw new IllegalArgumentException("an entry has 4 elements, not " + fields);
        }
        int position = u.unpackInt();
        NotSequenced.Reason reason = NotSequenced.Reason.ofCode(u.unpackInt());
        long originalEpoch = u.unpackLong();
        int originalPosition = u.unpackInt();
        for (int f = 4; f < fields; f++) {
          u.skipValue();
        }
        out.add(
            reason == NotSequenced.Reason.DUPLICATE
                ? NotSequenced.duplicate(position, new TxnId(originalEpoch, originalPosition))
                : NotSequenced.tooOld(position));
      }
      if (!out.isEmpty()) {
        new BatchReceipt(ApplyResult.Kind.APPLIED, 0, 0, 0, txnCount, -1, out); // checks order
      }
      return out;
    } catch (IllegalArgumentException | MessagePackException e) {
      throw new CodecException("receipt.notSequenced", 0, String.valueOf(e.getMessage()), e);
    }
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

  /**
   * A submission query {@code [4, bin(batchEntry)]}: {@code batchEntry} is a batch entry (section 3
   * of docs/wire-format.md) without an epoch, whose txns the leader's inbox puts, whole and in
   * order, into an epoch it forms.
   */
  public static byte[] submitQuery(byte[] batchEntry) {
    // Exactly the size of [4, bin(batchEntry)], so that the entry is copied once, not twice.
    return new MsgpackOutput(
            2 + MsgpackOutput.lengthHeaderSize(batchEntry.length) + batchEntry.length)
        .arrayHeader(2)
        .integer(Q_SUBMIT)
        .binary(batchEntry)
        .toByteArray();
  }

  /** The kind of a query, and its fields as decoded objects. */
  public sealed interface Query permits StatusQ, ReplayQ, CompletionQ, SubmitQ {}

  /** A submission; {@code batchEntry} is not decoded yet (the node checks its size first). */
  public record SubmitQ(ByteBuffer batchEntry) implements Query {}

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
            case Q_SUBMIT:
              if (n < 2) {
                throw new IllegalArgumentException("submit query needs 2 fields");
              }
              return new SubmitQ(ByteBuffer.wrap(u.readPayload(u.unpackBinaryHeader())));
            default:
              throw new IllegalArgumentException("unknown query kind " + kind);
          }
        });
  }

  /** The answer to a submission: where its txns are, or why it was refused. */
  public sealed interface SubmitReply permits Submitted, SubmitRefused {}

  /**
   * The submission's txns are {@code txnCount} txns of the epoch {@code epoch} describes, from
   * {@code firstPosition} on, in submission order; {@link BatchReceipt#txnId} of {@code
   * firstPosition + i} is txn {@code i}'s id (a retry's original id).
   */
  public record Submitted(BatchReceipt epoch, int firstPosition, int txnCount)
      implements SubmitReply {
    public Submitted {
      if (firstPosition < 0 || txnCount < 1 || firstPosition + txnCount > epoch.txnCount()) {
        throw new IllegalArgumentException(
            "txns ["
                + firstPosition
                + ", "
                + (firstPosition + txnCount)
                + ") outside the epoch's "
                + epoch.txnCount());
      }
    }

    /** The id of the submission's txn {@code i} ({@link BatchReceipt#txnId}). */
    public TxnId txnId(int i) {
      if (i < 0 || i >= txnCount) {
        throw new IndexOutOfBoundsException(i);
      }
      return epoch.txnId(firstPosition + i);
    }
  }

  /**
   * Nothing of the submission was queued.
   *
   * @param reason the refusal's name, e.g. {@code TENANT_SHARE_TXNS} (wire-format.md, section 14a)
   * @param retryable whether the same submission may succeed later (else it is bad input)
   * @param tenant the tenant the refusal is about (unsigned), or -1 with {@code hasTenant} false
   * @param hasTenant whether {@code tenant} is given
   * @param retryAfterMs for a retryable refusal, when to retry (0: now, on the current leader); -1
   *     otherwise
   * @param message what was refused and why, naming the limit
   * @param leader for {@code NOT_LEADER}, the peer id of the member the answering node takes for
   *     the leader; null when it knows none
   */
  public record SubmitRefused(
      String reason,
      boolean retryable,
      long tenant,
      boolean hasTenant,
      long retryAfterMs,
      String message,
      String leader)
      implements SubmitReply {
    public SubmitRefused(
        String reason,
        boolean retryable,
        long tenant,
        boolean hasTenant,
        long retryAfterMs,
        String message) {
      this(reason, retryable, tenant, hasTenant, retryAfterMs, message, null);
    }
  }

  /**
   * An answer to a submission: {@code [1, bin(receipt), firstPosition, txnCount]} with the epoch's
   * receipt as section 13 encodes it, or {@code [2, reason, retryable, tenant, retryAfterMs,
   * message]} with {@code tenant} nil when none, and a seventh element {@code leader} only when the
   * refusal names one (docs/wire-format.md, section 14a).
   */
  public static byte[] encodeSubmitReply(SubmitReply r) {
    return pack(p -> packSubmitReply(p, r));
  }

  static void packSubmitReply(MessageBufferPacker p, SubmitReply r) throws IOException {
    if (r instanceof Submitted s) {
      byte[] receipt = encodeReceipt(s.epoch());
      p.packArrayHeader(4).packInt(SUBMIT_ACCEPTED);
      p.packBinaryHeader(receipt.length).writePayload(receipt);
      p.packInt(s.firstPosition()).packInt(s.txnCount());
      return;
    }
    SubmitRefused f = (SubmitRefused) r;
    p.packArrayHeader(f.leader() == null ? 6 : 7).packInt(SUBMIT_REFUSED);
    p.packString(f.reason()).packBoolean(f.retryable());
    if (f.hasTenant()) {
      packUnsigned64(p, f.tenant());
    } else {
      p.packNil();
    }
    p.packLong(f.retryAfterMs()).packString(f.message());
    if (f.leader() != null) {
      p.packString(f.leader());
    }
  }

  /**
   * Reads an answer to a submission; elements after the known ones are skipped.
   *
   * @throws CodecException at field {@code submitReply} when the bytes are not one, at the
   *     receipt's fields when its receipt is not a receipt
   */
  public static SubmitReply decodeSubmitReply(ByteBuffer bytes) throws CodecException {
    byte[] receipt;
    int first;
    int count;
    try (MessageUnpacker u = unpacker(bytes)) {
      int n = u.unpackArrayHeader();
      int kind = n < 1 ? -1 : u.unpackInt();
      if (kind == SUBMIT_REFUSED && n >= 6) {
        String reason = u.unpackString();
        boolean retryable = u.unpackBoolean();
        boolean hasTenant = !u.tryUnpackNil();
        long tenant = hasTenant ? u.unpackValue().asIntegerValue().toLong() : -1;
        long retryAfterMs = u.unpackLong();
        String message = u.unpackString();
        String leader = n >= 7 && !u.tryUnpackNil() ? u.unpackString() : null;
        return new SubmitRefused(
            reason, retryable, tenant, hasTenant, retryAfterMs, message, leader);
      }
      if (kind != SUBMIT_ACCEPTED || n < 4) {
        throw new CodecException(
            "submitReply", 0, "not a submit reply: kind " + kind + " with " + n + " elements");
      }
      receipt = u.readPayload(u.unpackBinaryHeader());
      first = u.unpackInt();
      count = u.unpackInt();
    } catch (IOException | MessagePackException | IllegalArgumentException e) {
      throw new CodecException("submitReply", 0, String.valueOf(e.getMessage()), e);
    }
    BatchReceipt epoch = decodeReceipt(ByteBuffer.wrap(receipt));
    try {
      return new Submitted(epoch, first, count);
    } catch (IllegalArgumentException e) {
      throw new CodecException("submitReply.txns", 0, e.getMessage(), e);
    }
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
    return packLarge(
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

  /** Txns from a page entry. */
  private static Txn singleTxn(EntryDecoder d, ByteBuffer entry) throws CodecException {
    if (d.decode(entry) instanceof EpochBatch b && b.txns().size() == 1) {
      return b.txns().get(0);
    }
    throw new CodecException("replayPage.txn", 0, "expected a batch of one txn");
  }
}
