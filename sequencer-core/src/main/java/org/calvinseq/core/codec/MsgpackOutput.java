package org.calvinseq.core.codec;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The byte level of {@link EntryEncoder}: msgpack written into one growing array, each value in the
 * shortest form msgpack-java's {@code MessagePacker} writes (so the bytes are the same, which
 * {@code MsgpackOutputTest} checks against it), without its 8 KiB chunks, their final
 * concatenation, or a {@code byte[]} per string. Not thread-safe.
 */
public final class MsgpackOutput {
  private byte[] buf;
  private int size;

  public MsgpackOutput(int capacity) {
    buf = new byte[Math.max(16, capacity)];
  }

  public int size() {
    return size;
  }

  /**
   * The bytes written: the array itself when they fill it exactly (a capacity given exactly saves
   * the copy; a later write would move to a new array first, so the one returned never changes),
   * else a copy.
   */
  public byte[] toByteArray() {
    return size == buf.length ? buf : Arrays.copyOf(buf, size);
  }

  /** The size of a bin or str header (after fixstr) for a payload of {@code n} bytes. */
  public static int lengthHeaderSize(int n) {
    return n < 1 << 8 ? 2 : n < 1 << 16 ? 3 : 5;
  }

  /** How many bytes {@link #integer} writes for {@code v}. */
  public static int integerSize(long v) {
    if (v >= -(1L << 5) && v < 1 << 7) {
      return 1;
    }
    if (v >= -(1L << 7) && v < 1 << 8) {
      return 2;
    }
    if (v >= -(1L << 15) && v < 1L << 16) {
      return 3;
    }
    return v >= -(1L << 31) && v < 1L << 32 ? 5 : 9;
  }

  private void ensure(int more) {
    if (buf.length - size < more) {
      long want = Math.max((long) buf.length * 2, (long) size + more);
      if (want > Integer.MAX_VALUE - 8) {
        if ((long) size + more > Integer.MAX_VALUE - 8) {
          throw new IllegalArgumentException("encoded entry over 2 GiB");
        }
        want = Integer.MAX_VALUE - 8;
      }
      buf = Arrays.copyOf(buf, (int) want);
    }
  }

  private void put1(int b) {
    buf[size++] = (byte) b;
  }

  private void put2(int v) {
    buf[size++] = (byte) (v >>> 8);
    buf[size++] = (byte) v;
  }

  private void put4(int v) {
    buf[size++] = (byte) (v >>> 24);
    buf[size++] = (byte) (v >>> 16);
    buf[size++] = (byte) (v >>> 8);
    buf[size++] = (byte) v;
  }

  private void put8(long v) {
    put4((int) (v >>> 32));
    put4((int) v);
  }

  public MsgpackOutput mapHeader(int n) {
    return header(n, 0x80, 0xDE, 0xDF);
  }

  public MsgpackOutput arrayHeader(int n) {
    return header(n, 0x90, 0xDC, 0xDD);
  }

  /** How many bytes {@link #arrayHeader} or {@link #mapHeader} writes for {@code n} entries. */
  public static int headerSize(int n) {
    return n < 16 ? 1 : n < 1 << 16 ? 3 : 5;
  }

  public MsgpackOutput nil() {
    ensure(1);
    put1(0xC0);
    return this;
  }

  private MsgpackOutput header(int n, int fix, int h16, int h32) {
    if (n < 0) {
      throw new IllegalArgumentException("size must be >= 0: " + n);
    }
    ensure(5);
    if (n < 16) {
      put1(fix | n);
    } else if (n < 1 << 16) {
      put1(h16);
      put2(n);
    } else {
      put1(h32);
      put4(n);
    }
    return this;
  }

  /** A signed integer, in the shortest form ({@code MessagePacker.packLong}'s choice). */
  public MsgpackOutput integer(long v) {
    ensure(9);
    if (v < -(1L << 5)) {
      if (v < -(1L << 15)) {
        if (v < -(1L << 31)) {
          put1(0xD3);
          put8(v);
        } else {
          put1(0xD2);
          put4((int) v);
        }
      } else if (v < -(1 << 7)) {
        put1(0xD1);
        put2((int) v);
      } else {
        put1(0xD0);
        put1((int) v);
      }
    } else if (v < 1 << 7) {
      put1((int) v); // fixint, positive or negative
    } else if (v < 1L << 16) {
      if (v < 1 << 8) {
        put1(0xCC);
        put1((int) v);
      } else {
        put1(0xCD);
        put2((int) v);
      }
    } else if (v < 1L << 32) {
      put1(0xCE);
      put4((int) v);
    } else {
      put1(0xCF);
      put8(v);
    }
    return this;
  }

  /** {@code v} read as unsigned: a negative long stands for a value of 2^63 or more (uint64). */
  public MsgpackOutput unsigned(long v) {
    if (v >= 0) {
      return integer(v);
    }
    ensure(9);
    put1(0xCF);
    put8(v);
    return this;
  }

  /** A UTF-8 string; ASCII (every name in practice) is copied char by char. */
  public MsgpackOutput string(String s) {
    int n = s.length();
    int i = 0;
    while (i < n && s.charAt(i) < 0x80) {
      i++;
    }
    if (i < n) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      stringHeader(b.length);
      return raw(b, 0, b.length);
    }
    stringHeader(n);
    ensure(n);
    for (int c = 0; c < n; c++) {
      buf[size++] = (byte) s.charAt(c);
    }
    return this;
  }

  private void stringHeader(int n) {
    if (n < 1 << 5) {
      ensure(1);
      put1(0xA0 | n);
    } else {
      lengthHeader(n, 0xD9, 0xDA, 0xDB);
    }
  }

  public MsgpackOutput binaryHeader(int n) {
    lengthHeader(n, 0xC4, 0xC5, 0xC6);
    return this;
  }

  /** A str or bin length in its shortest form: 8, 16 or 32 bits after the type code. */
  private void lengthHeader(int n, int c8, int c16, int c32) {
    ensure(5);
    if (n < 1 << 8) {
      put1(c8);
      put1(n);
    } else if (n < 1 << 16) {
      put1(c16);
      put2(n);
    } else {
      put1(c32);
      put4(n);
    }
  }

  /** Binary data: header and bytes. */
  public MsgpackOutput binary(byte[] b) {
    return binaryHeader(b.length).raw(b, 0, b.length);
  }

  /** Two longs, big-endian, as the payload of a 16-byte binary (a client txn id). */
  public MsgpackOutput binary16(long hi, long lo) {
    binaryHeader(16);
    ensure(16);
    put8(hi);
    put8(lo);
    return this;
  }

  public MsgpackOutput raw(byte[] b, int off, int len) {
    ensure(len);
    System.arraycopy(b, off, buf, size, len);
    size += len;
    return this;
  }
}
