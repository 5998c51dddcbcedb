package org.calvinseq.server.ratis;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteOutput;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;

/** Zero-copy access to the bytes behind a protobuf {@link ByteString}. */
final class Bytes {
  private Bytes() {}

  /**
   * A heap buffer over the string's own array when it has one chunk (the usual case for log
   * entries), else a copy. The caller must not modify it.
   */
  static ByteBuffer view(ByteString s) {
    List<ByteBuffer> chunks = new ArrayList<>(1);
    try {
      UnsafeByteOperations.unsafeWriteTo(
          s,
          new ByteOutput() {
            @Override
            public void write(byte value) {
              chunks.add(ByteBuffer.wrap(new byte[] {value}));
            }

            @Override
            public void write(byte[] value, int offset, int length) {
              chunks.add(ByteBuffer.wrap(value.clone(), offset, length));
            }

            @Override
            public void writeLazy(byte[] value, int offset, int length) {
              chunks.add(ByteBuffer.wrap(value, offset, length));
            }

            @Override
            public void write(ByteBuffer value) {
              chunks.add(copy(value));
            }

            @Override
            public void writeLazy(ByteBuffer value) {
              chunks.add(value.hasArray() ? value.duplicate() : copy(value));
            }
          });
    } catch (java.io.IOException e) {
      return ByteBuffer.wrap(s.toByteArray());
    }
    if (chunks.size() == 1) {
      return chunks.get(0).slice();
    }
    return ByteBuffer.wrap(s.toByteArray());
  }

  private static ByteBuffer copy(ByteBuffer b) {
    ByteBuffer c = ByteBuffer.allocate(b.remaining());
    c.put(b.duplicate()).flip();
    return c;
  }
}
