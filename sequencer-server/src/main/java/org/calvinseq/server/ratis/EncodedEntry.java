package org.calvinseq.server.ratis;

import java.util.List;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.calvinseq.core.codec.EntryEncoder;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.SequencerEntry;

/**
 * A proposal made inside the leader's own process (the inbox's epochs): the entry and the bytes
 * encoded from it, so that the leader's {@code startTransaction} validates and its apply uses the
 * entry without decoding the bytes again. The bytes are always encoded here from the entry (an
 * inbox epoch's txns copied from their encodings, made from the same txn objects when they
 * arrived), and the codec's round trip is exact, so the leader applies what every follower decodes.
 * A request from the network never carries one: Ratis builds its messages from the bytes.
 */
public final class EncodedEntry implements Message {
  private final SequencerEntry entry;
  private final ByteString content;

  private EncodedEntry(SequencerEntry entry, byte[] bytes) {
    this.entry = entry;
    this.content = UnsafeByteOperations.unsafeWrap(bytes);
  }

  /** Encodes {@code entry}. */
  public static EncodedEntry of(SequencerEntry entry) {
    return new EncodedEntry(entry, EntryEncoder.encode(entry));
  }

  /**
   * Encodes {@code batch} as a grouped batch from {@code runs}, which hold its txns with their
   * encodings ({@link EntryEncoder#encodeGrouped(EpochBatch, List)}).
   *
   * @throws IllegalArgumentException if the runs' txns are not the batch's
   */
  public static EncodedEntry of(EpochBatch batch, List<EntryEncoder.TxnRun> runs) {
    return new EncodedEntry(batch, EntryEncoder.encodeGrouped(batch, runs));
  }

  public SequencerEntry entry() {
    return entry;
  }

  @Override
  public ByteString getContent() {
    return content;
  }

  @Override
  public String toString() {
    return "EncodedEntry[" + content.size() + " bytes]";
  }
}
