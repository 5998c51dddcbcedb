package org.calvinseq.core.protocol;

import static org.calvinseq.core.protocol.MsgpackMessages.*;

import java.nio.ByteBuffer;
import org.calvinseq.core.codec.CodecException;
import org.calvinseq.core.codec.MsgpackOutput;

/**
 * The messages of the submission stream (docs/wire-format.md, section 14b): a submission carries a
 * request id and a batch entry, an answer the request id and {@link Protocol}'s submit answer.
 */
public final class SubmissionStream {
  private SubmissionStream() {}

  /** A submission on the submission stream: its request id and its batch entry (not decoded). */
  public record Submission(long requestId, ByteBuffer batchEntry) {}

  /** An answer on the submission stream: the id of the submission it answers, and the answer. */
  public record Answer(long requestId, Protocol.SubmitReply reply) {}

  /**
   * A submission on the submission stream, {@code [requestId, bin(batchEntry)]}
   * (docs/wire-format.md, section 14b): as the query {@link Protocol#submitQuery}, with the request
   * id the answer names in place of the query kind.
   */
  public static byte[] submission(long requestId, byte[] batchEntry) {
    if (requestId < 0) {
      throw new IllegalArgumentException("request id must be >= 0: " + requestId);
    }
    // Exactly its size, so that the entry is copied once.
    return new MsgpackOutput(
            1
                + MsgpackOutput.integerSize(requestId)
                + MsgpackOutput.lengthHeaderSize(batchEntry.length)
                + batchEntry.length)
        .arrayHeader(2)
        .integer(requestId)
        .binary(batchEntry)
        .toByteArray();
  }

  /**
   * Reads a submission of the stream; its batch entry is a view of {@code bytes}, not a copy.
   *
   * @throws CodecException when the bytes are not {@code [uint, bin]}
   */
  public static Submission decodeSubmission(ByteBuffer bytes) throws CodecException {
    return unpack(
        bytes,
        u -> {
          int n = u.unpackArrayHeader();
          if (n < 2) {
            throw new IllegalArgumentException("a submission is [requestId, bin], not " + n);
          }
          long id = u.unpackLong();
          int len = u.unpackBinaryHeader();
          int at = Math.toIntExact(u.getTotalReadBytes());
          if (len > bytes.remaining() - at) {
            throw new IllegalArgumentException("batch entry runs past the message's end");
          }
          ByteBuffer entry = bytes.duplicate();
          entry.position(bytes.position() + at).limit(bytes.position() + at + len);
          return new Submission(id, entry.slice());
        });
  }

  /** An answer on the submission stream, {@code [requestId, submitReply]} (section 14b). */
  public static byte[] encodeAnswer(long requestId, Protocol.SubmitReply r) {
    return pack(
        p -> {
          p.packArrayHeader(2).packLong(requestId);
          Protocol.packSubmitReply(p, r);
        });
  }

  /**
   * Reads an answer of the submission stream.
   *
   * @throws CodecException when the bytes are not {@code [uint, submitReply]}
   */
  public static Answer decodeAnswer(ByteBuffer bytes) throws CodecException {
    long[] idAndOffset =
        unpack(
            bytes,
            u -> {
              if (u.unpackArrayHeader() < 2) {
                throw new IllegalArgumentException("an answer is [requestId, submitReply]");
              }
              return new long[] {u.unpackLong(), u.getTotalReadBytes()};
            });
    ByteBuffer reply = bytes.duplicate();
    reply.position(bytes.position() + (int) idAndOffset[1]);
    return new Answer(idAndOffset[0], Protocol.decodeSubmitReply(reply.slice()));
  }
}
