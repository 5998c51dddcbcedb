package org.calvinseq.core.apply;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.calvinseq.core.codec.CodecException;
import org.calvinseq.core.completion.CompletionRegistry;
import org.calvinseq.core.dedupe.ClientWindows;
import org.calvinseq.core.model.ClusterInit;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.replay.EpochIndex;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePackException;
import org.msgpack.core.MessageUnpacker;

/**
 * Snapshot encoding of {@link SequencerState}: a msgpack array {@code [version, vshardCount,
 * lastAppliedIndex, nextEpoch, lastAppliedEpoch, lastEpochSystemMs, gaps, droppedThroughEpoch,
 * epochIndex, completions, completionsEvictedThroughEpoch, completionsEvictedAtMs, rulesVersion,
 * epochHoles, clients]}. Snapshots are local files, not a cross-language contract, so a positional
 * layout with a version is enough.
 *
 * <p>Fields are only appended within a version: a reader accepts the elements it knows and more,
 * and ignores the rest. Version 1 has 10 elements, or 12 with the completion watermark (added
 * later). Version 2 adds the de-duplication state: the apply rules the log has recorded (an int),
 * the epochs' empty positions ({@code [[epoch, [position, ...]], ...]}) and the client windows
 * ({@code [[clientId, lastSeenMs, forgottenThrough or nil, [first, last, epoch, firstPosition,
 * ...]], ...]}). It is a new version, not appended fields, because a node that ignored them would
 * replay retried txns that the live path never delivered: nodes before it refuse version 2, and
 * this code reads both (a version-1 snapshot restores with apply rules 1 and no de-duplication
 * state).
 */
public final class StateCodec {
  /** The version this code writes. */
  public static final int VERSION = 2;

  /** The oldest version this code reads. */
  public static final int OLDEST_VERSION = 1;

  private StateCodec() {}

  public static byte[] encode(SequencerState s) {
    try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
      p.packArrayHeader(15);
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
      p.packInt(s.rulesVersion());
      p.packArrayHeader(s.epochHoles().size());
      for (EpochIndex.Holes h : s.epochHoles()) {
        int[] positions = h.positions();
        p.packArrayHeader(2).packLong(h.epoch()).packArrayHeader(positions.length);
        for (int v : positions) {
          p.packInt(v);
        }
      }
      p.packArrayHeader(s.clients().size());
      for (ClientWindows.Client c : s.clients()) {
        p.packArrayHeader(4).packLong(c.clientId()).packLong(c.lastSeenMs());
        if (c.forgot()) {
          p.packLong(c.forgottenThrough());
        } else {
          p.packNil();
        }
        long[] runs = c.runs();
        p.packArrayHeader(runs.length);
        for (long v : runs) {
          p.packLong(v);
        }
      }
      return p.toByteArray();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  public static SequencerState decode(byte[] bytes) throws CodecException {
    try (MessageUnpacker u = MessagePack.newDefaultUnpacker(bytes)) {
      int n = u.unpackArrayHeader();
      int version = u.unpackInt();
      if (version < OLDEST_VERSION || version > VERSION) {
        throw new CodecException("snapshot", 0, "unsupported snapshot version " + version);
      }
      if (n < (version == 1 ? 10 : 15)) {
        throw new CodecException("snapshot", 0, "version " + version + " with " + n + " elements");
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
      List<EpochIndex.Holes> holes = new ArrayList<>();
      List<ClientWindows.Client> clients = new ArrayList<>();
      int rules = ClusterInit.FIRST_RULES_VERSION;
      if (version >= 2) {
        rules = u.unpackInt();
        readHoles(u, bytes.length, holes);
        readClients(u, bytes.length, clients);
      }
      return new SequencerState(
          vshardCount,
          lastIndex,
          nextEpoch,
          lastEpoch,
          lastMs,
          gaps,
          dropped,
          idx,
          comps,
          evicted,
          rules,
          holes,
          clients);
    } catch (IOException | MessagePackException | IllegalArgumentException e) {
      throw new CodecException("snapshot", 0, "corrupt snapshot: " + e.getMessage(), e);
    }
  }

  private static void readHoles(MessageUnpacker u, int size, List<EpochIndex.Holes> out)
      throws IOException, CodecException {
    int n = bounded(u.unpackArrayHeader(), size);
    for (int i = 0; i < n; i++) {
      u.unpackArrayHeader();
      long epoch = u.unpackLong();
      int[] positions = new int[bounded(u.unpackArrayHeader(), size)];
      for (int j = 0; j < positions.length; j++) {
        positions[j] = u.unpackInt();
      }
      out.add(new EpochIndex.Holes(epoch, positions));
    }
  }

  private static void readClients(MessageUnpacker u, int size, List<ClientWindows.Client> out)
      throws IOException, CodecException {
    int n = bounded(u.unpackArrayHeader(), size);
    for (int i = 0; i < n; i++) {
      u.unpackArrayHeader();
      long clientId = u.unpackLong();
      long lastSeenMs = u.unpackLong();
      boolean forgot = !u.tryUnpackNil();
      long forgottenThrough = forgot ? u.unpackLong() : 0;
      long[] runs = new long[bounded(u.unpackArrayHeader(), size)];
      for (int j = 0; j < runs.length; j++) {
        runs[j] = u.unpackLong();
      }
      out.add(new ClientWindows.Client(clientId, lastSeenMs, forgot, forgottenThrough, runs));
    }
  }

  private static int bounded(int n, int size) throws CodecException {
    if (n < 0 || n > size) {
      throw new CodecException("snapshot", 0, "declared length " + n + " exceeds the file");
    }
    return n;
  }
}
