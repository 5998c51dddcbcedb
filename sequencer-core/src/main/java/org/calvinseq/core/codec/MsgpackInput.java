package org.calvinseq.core.codec;

import java.util.Locale;
import org.msgpack.core.MessageFormat;
import org.msgpack.value.ValueType;

/**
 * The byte level of {@link EntryDecoder}: a cursor over a byte array with msgpack's integer, length
 * and skip primitives, every bound checked before a read. Errors are built by the subclass, which
 * knows the field path.
 */
abstract class MsgpackInput {
  byte[] buf;
  int start;
  int pos;
  int end;

  /** An error at {@code leaf} under the subclass's current context. */
  abstract CodecException error(String leaf, String problem);

  final long offset() {
    return pos - start;
  }

  final long remaining() {
    return end - pos;
  }

  /** Consumes the integer whose first byte is {@code b}; uint64 comes back as its bit pattern. */
  final long readInteger(int b) throws CodecException {
    pos++;
    if (b <= 0x7F) {
      return b;
    }
    if (b >= 0xE0) {
      return (byte) b;
    }
    return switch (b) {
      case 0xCC -> u8();
      case 0xCD -> u16();
      case 0xCE -> u32();
      case 0xCF -> s64();
      case 0xD0 -> (byte) u8();
      case 0xD1 -> (short) u16();
      case 0xD2 -> (int) u32();
      case 0xD3 -> s64();
      default -> throw new IllegalStateException("not an integer format: " + b);
    };
  }

  /** Skips one value of any type, containers included; errors name the enclosing map. */
  final void skipValue() throws CodecException {
    long values = 1;
    while (values > 0) {
      values--;
      int b = u8();
      if (b <= 0x7F || b >= 0xE0) {
        continue; // fixint
      }
      switch (b >> 4) {
        case 0x8 -> values += 2L * (b & 0x0F); // fixmap
        case 0x9 -> values += b & 0x0F; // fixarray
        case 0xA, 0xB -> skip(b & 0x1F); // fixstr
        default -> values += skipNonFixed(b);
      }
    }
  }

  /** Skips what follows the non-fix format byte {@code b}; returns the nested values to skip. */
  final long skipNonFixed(int b) throws CodecException {
    switch (b) {
      case 0xC0, 0xC2, 0xC3 -> {} // nil, false, true
      case 0xC1 -> throw error(null, "found the never-used byte 0xc1");
      case 0xC4, 0xD9 -> skip(u8());
      case 0xC5, 0xDA -> skip(u16());
      case 0xC6, 0xDB -> skip(length32(null));
      case 0xC7 -> skip(1L + u8());
      case 0xC8 -> skip(1L + u16());
      case 0xC9 -> skip(1L + length32(null));
      case 0xCC, 0xD0 -> skip(1);
      case 0xCD, 0xD1 -> skip(2);
      case 0xCA, 0xCE, 0xD2 -> skip(4);
      case 0xCB, 0xCF, 0xD3 -> skip(8);
      case 0xD4 -> skip(2);
      case 0xD5 -> skip(3);
      case 0xD6 -> skip(5);
      case 0xD7 -> skip(9);
      case 0xD8 -> skip(17);
      case 0xDC -> {
        return u16();
      }
      case 0xDD -> {
        return length32(null);
      }
      case 0xDE -> {
        return 2L * u16();
      }
      case 0xDF -> {
        return 2L * length32(null);
      }
      default -> throw new IllegalStateException("unhandled msgpack format " + b);
    }
    return 0;
  }

  final void skip(long n) throws CodecException {
    need(n);
    pos += (int) n;
  }

  /**
   * The first byte of the next value, not consumed, after checking that the value has {@code type}.
   */
  final int peek(String where, ValueType type, String what) throws CodecException {
    if (pos >= end) {
      throw error(where, "truncated: expected " + what);
    }
    byte b = buf[pos];
    if (b == (byte) 0xC1) {
      throw error(where, "expected " + what + ", found the never-used byte 0xc1");
    }
    ValueType t = MessageFormat.valueOf(b).getValueType();
    if (t != type) {
      throw error(where, "expected " + what + ", found " + t.name().toLowerCase(Locale.ROOT));
    }
    return b & 0xFF;
  }

  /** Checks that {@code n} more bytes are there; the error names the enclosing map or key. */
  final void need(long n) throws CodecException {
    if (n > end - pos) {
      throw error(null, "truncated: needs " + n + " bytes, " + (end - pos) + " remain");
    }
  }

  final int u8() throws CodecException {
    need(1);
    return buf[pos++] & 0xFF;
  }

  final int u16() throws CodecException {
    need(2);
    int v = ((buf[pos] & 0xFF) << 8) | (buf[pos + 1] & 0xFF);
    pos += 2;
    return v;
  }

  final long u32() throws CodecException {
    need(4);
    long v = getInt(buf, pos) & 0xFFFF_FFFFL;
    pos += 4;
    return v;
  }

  final long s64() throws CodecException {
    need(8);
    long v = getLong(buf, pos);
    pos += 8;
    return v;
  }

  /**
   * A 32-bit length or count of the value at {@code where} (null: the enclosing map), which must
   * fit in an int; a larger one can only exceed the bytes that remain.
   */
  final int length32(String where) throws CodecException {
    long n = u32();
    if (n > Integer.MAX_VALUE) {
      throw error(
          where, "declares " + n + " bytes or elements but only " + remaining() + " remain");
    }
    return (int) n;
  }

  static int getInt(byte[] b, int off) {
    return ((b[off] & 0xFF) << 24)
        | ((b[off + 1] & 0xFF) << 16)
        | ((b[off + 2] & 0xFF) << 8)
        | (b[off + 3] & 0xFF);
  }

  static long getLong(byte[] b, int off) {
    return ((long) getInt(b, off) << 32) | (getInt(b, off + 4) & 0xFFFF_FFFFL);
  }
}
