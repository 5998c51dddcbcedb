package org.calvinseq.core.apply;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.calvinseq.core.codec.CodecException;
import org.calvinseq.core.completion.CompletionRegistry;
import org.calvinseq.core.model.TxnId;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePackException;
import org.msgpack.core.MessageUnpacker;

/**
 * Snapshot encoding of {@link SequencerState}: a msgpack array {@code [version, vshardCount,
 * lastAppliedIndex, nextEpoch, lastAppliedEpoch, lastEpochSystemMs, gaps, droppedThroughEpoch,
 * epochIndex, completions, completionsEvictedThroughEpoch, completionsEvictedAtMs]}. Snapshots are
 * local files, not a cross-language contract, so a positional layout with a version is enough.
 * Fields are only appended within a version: a reader accepts 10 elements and more, reads the ones
 * it knows and ignores the rest (the two watermark elements were added later; a 10-element snapshot
 * has no watermark), so old snapshots stay readable and old nodes read new ones.
 */
public final class StateCodec {
  public static final int VERSION = 1;

  private StateCodec() {}

  public static byte[] encode(SequencerState s) {
    try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
      p.packArrayHeader(12);
      p.packInt(VERSION);
      p.packInt(s.vshardCount());
      p.packLong(s.lastAppliedIndex());
      p.packLong(s.nextEpoch());
      p.packLong(s.lastAppliedEpoch());
      p.packLong(s.lastEpochSystemMs());
      p.packArrayHeader(s.gaps().size());
      for (GapRange g : s.gaps()) {
        p.packArrayHeader(2).packLong(g.fromEpoch()).packLong(g.toEpoch());
      }
      p.packLong(s.droppedThroughEpoch());
      long[] idx = s.epochIndex();
      p.packArrayHeader(idx.length);
      for (long v : idx) {
        p.packLong(v);
      }
      p.packArrayHeader(s.completions().size());
      for (CompletionRegistry.State c : s.completions()) {
        p.packArrayHeader(6);
        p.packLong(c.txnId().epoch()).packInt(c.txnId().position()).packInt(c.participants());
        p.packArrayHeader(c.acked().length);
        for (int v : c.acked()) {
          p.packInt(v);
        }
        p.packLong(c.firstAckMs()).packBoolean(c.completed());
      }
      p.packLong(s.completionsEvicted().throughEpoch()).packLong(s.completionsEvicted().atMs());
      return p.toByteArray();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  public static SequencerState decode(byte[] bytes) throws CodecException {
    try (MessageUnpacker u = MessagePack.newDefaultUnpacker(bytes)) {
      int n = u.unpackArrayHeader();
      int version = u.unpackInt();
      if (version != VERSION || n < 10) {
        throw new CodecException("snapshot", 0, "unsupported snapshot version " + version);
      }
      int vshardCount = u.unpackInt();
      long lastIndex = u.unpackLong();
      long nextEpoch = u.unpackLong();
      long lastEpoch = u.unpackLong();
      long lastMs = u.unpackLong();
      int ng = bounded(u.unpackArrayHeader(), bytes.length);
      List<GapRange> gaps = new ArrayList<>(ng);
      for (int i = 0; i < ng; i++) {
        u.unpackArrayHeader();
        gaps.add(new GapRange(u.unpackLong(), u.unpackLong()));
      }
      long dropped = u.unpackLong();
      long[] idx = new long[bounded(u.unpackArrayHeader(), bytes.length)];
      for (int i = 0; i < idx.length; i++) {
        idx[i] = u.unpackLong();
      }
      int nc = bounded(u.unpackArrayHeader(), bytes.length);
      List<CompletionRegistry.State> comps = new ArrayList<>(nc);
      for (int i = 0; i < nc; i++) {
        u.unpackArrayHeader();
        TxnId id = new TxnId(u.unpackLong(), u.unpackInt());
        int participants = u.unpackInt();
        int[] acked = new int[bounded(u.unpackArrayHeader(), bytes.length)];
        for (int j = 0; j < acked.length; j++) {
          acked[j] = u.unpackInt();
        }
        comps.add(
            new CompletionRegistry.State(
                id, participants, acked, u.unpackLong(), u.unpackBoolean()));
      }
      CompletionRegistry.Watermark evicted =
          n >= 12
              ? new CompletionRegistry.Watermark(u.unpackLong(), u.unpackLong())
              : CompletionRegistry.Watermark.NONE;
      return new SequencerState(
          vshardCount, lastIndex, nextEpoch, lastEpoch, lastMs, gaps, dropped, idx, comps, evicted);
    } catch (IOException | MessagePackException | IllegalArgumentException e) {
      throw new CodecException("snapshot", 0, "corrupt snapshot: " + e.getMessage(), e);
    }
  }

  private static int bounded(int n, int size) throws CodecException {
    if (n < 0 || n > size) {
      throw new CodecException("snapshot", 0, "declared length " + n + " exceeds the file");
    }
    return n;
  }
}
