package org.calvinseq.core.protocol;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import org.calvinseq.core.codec.CodecException;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePackException;
import org.msgpack.core.MessageUnpacker;

/**
 * The msgpack-java plumbing under {@link Protocol}'s messages: packing, unpacking, their errors.
 */
final class MsgpackMessages {
  private MsgpackMessages() {}

  interface Writer {
    void write(MessageBufferPacker p) throws IOException;
  }

  interface Reader<T> {
    T read(MessageUnpacker u) throws IOException;
  }

  /**
   * msgpack-java's default packer starts every message with an 8 KiB buffer, which for the replies
   * of a few dozen bytes sent per submission was a third of a loaded leader's allocation. Small
   * messages start from 256 bytes and add chunks as they grow; the bytes are the same.
   */
  private static final MessagePack.PackerConfig SMALL =
      new MessagePack.PackerConfig().withBufferSize(256);

  /** A message of up to a few hundred bytes (queries, receipts, answers). */
  static byte[] pack(Writer w) {
    return pack(SMALL, w);
  }

  /** A message of kilobytes or more (a replay page), in msgpack-java's 8 KiB chunks. */
  static byte[] packLarge(Writer w) {
    return pack(MessagePack.DEFAULT_PACKER_CONFIG, w);
  }

  private static byte[] pack(MessagePack.PackerConfig config, Writer w) {
    try (MessageBufferPacker p = config.newBufferPacker()) {
      w.write(p);
      return p.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** msgpack-core reads only array-backed or direct buffers; copy a read-only heap buffer. */
  static MessageUnpacker unpacker(ByteBuffer b) {
    if (b.hasArray() || b.isDirect()) {
      return MessagePack.newDefaultUnpacker(b.duplicate());
    }
    byte[] copy = new byte[b.remaining()];
    b.duplicate().get(copy);
    return MessagePack.newDefaultUnpacker(copy);
  }

  static <T> T unpack(ByteBuffer bytes, Reader<T> r) throws CodecException {
    try (MessageUnpacker u = unpacker(bytes)) {
      return r.read(u);
    } catch (IOException | MessagePackException | IllegalArgumentException e) {
      throw new CodecException("message", 0, String.valueOf(e.getMessage()), e);
    } catch (ArrayIndexOutOfBoundsException e) {
      throw new CodecException("message", 0, "bad enum value", e);
    }
  }

  /** An unsigned 64-bit value as msgpack's uint64 when above 2^63-1, as the entries write it. */
  static void packUnsigned64(MessageBufferPacker p, long v) throws IOException {
    if (v >= 0) {
      p.packLong(v);
    } else {
      p.packBigInteger(new BigInteger(Long.toUnsignedString(v)));
    }
  }
}
