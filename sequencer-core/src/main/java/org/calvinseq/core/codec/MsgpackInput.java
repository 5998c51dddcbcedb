package org.calvinseq.core.codec;

import java.util.Arrays;
import java.util.Locale;
import org.msgpack.core.MessageFormat;
import org.msgpack.value.ValueType;

/**
 * The byte level of {@link EntryDecoder}: a cursor over a byte array with msgpack's headers,
 * integers, binaries, field keys and skips, every bound checked before a read. Errors are built by
 * the subclass, which knows the field path; the entry's structure and its names are the subclass's.
 */
abstract class MsgpackInput {
  static final byte[] EMPTY = new byte[0];

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

  // ---- values, each bound checked before it is read ----

  final int mapHeader(String where) throws CodecException {
    int n;
    if (pos < end && (buf[pos] & 0xF0) == 0x80) { // fixmap
      n = buf[pos++] & 0x0F;
    } else {
      int b = peek(where, ValueType.MAP, "map");
      pos++;
      n = b == 0xDE ? u16() : length32(where);
    }
    if ((long) n * 2 > remaining()) {
      throw error(
          where, "declares " + n + " map entries but only " + remaining() + " bytes remain");
    }
    return n;
  }

  final int arrayHeader(String where, int minElementBytes) throws CodecException {
    int n;
    if (pos < end && (buf[pos] & 0xF0) == 0x90) { // fixarray
      n = buf[pos++] & 0x0F;
    } else {
      int b = peek(where, ValueType.ARRAY, "array");
      pos++;
      n = b == 0xDC ? u16() : length32(where);
    }
    if ((long) n * minElementBytes > remaining()) {
      throw error(where, "declares " + n + " elements but only " + remaining() + " bytes remain");
    }
    return n;
  }

  /** Consumes a field key of a map whose keys so far are in {@code seen}, and adds it there. */
  final int fieldKey(String where, FieldSet seen) throws CodecException {
    long key;
    if (pos < end && buf[pos] >= 0) { // positive fixint: every field number in use
      key = buf[pos++];
    } else {
      int b = peek(where, ValueType.INTEGER, "integer field key");
      key = readInteger(b);
      if (b == 0xCF && key < 0) {
        throw error(where, "field key out of range: " + Long.toUnsignedString(key));
      }
    }
    if (key < 0 || key > Integer.MAX_VALUE) {
      throw error(where, "field key out of range: " + key);
    }
    if (!seen.add((int) key)) {
      throw error(where, "duplicate field " + key);
    }
    return (int) key;
  }

  final long uint(String where) throws CodecException {
    long v = sint(where);
    if (v < 0) {
      throw error(where, "must not be negative: " + v);
    }
    return v;
  }

  final long sint(String where) throws CodecException {
    if (pos < end && buf[pos] >= 0) { // positive fixint
      return buf[pos++];
    }
    int b = peek(where, ValueType.INTEGER, "integer");
    long v = readInteger(b);
    if (b == 0xCF && v < 0) {
      throw error(where, "integer out of range");
    }
    return v;
  }

  /** An unsigned 64-bit integer carried in a long (two's complement above 2^63). */
  final long uint64(String where) throws CodecException {
    if (pos < end && buf[pos] >= 0) { // positive fixint
      return buf[pos++];
    }
    int b = peek(where, ValueType.INTEGER, "integer");
    long v = readInteger(b);
    if (v < 0 && b != 0xCF) {
      throw error(where, "must not be negative: " + v);
    }
    return v;
  }

  final byte[] binary(String where) throws CodecException {
    int n = binaryHeader(where);
    if (n == 0) {
      return EMPTY;
    }
    byte[] b = Arrays.copyOfRange(buf, pos, pos + n);
    pos += n;
    return b;
  }

  /** Consumes a bin header whose length fits in the remaining bytes; returns the length. */
  final int binaryHeader(String where) throws CodecException {
    int n;
    if (pos + 1 < end && buf[pos] == (byte) 0xC4) { // bin8
      n = buf[pos + 1] & 0xFF;
      pos += 2;
    } else {
      int b = peek(where, ValueType.BINARY, "binary");
      pos++;
      n =
          switch (b) {
            case 0xC4 -> u8();
            case 0xC5 -> u16();
            default -> length32(where);
          };
    }
    if (n > remaining()) {
      throw error(where, "declares " + n + " bytes but only " + remaining() + " remain");
    }
    return n;
  }

  /**
   * The field keys seen in one map, to reject a key that occurs twice. Keys below 64 (every field
   * in use) are bits of a long; larger ones, which only unknown fields can have, go to a hash set
   * made the first time one occurs, so that a map of many distinct large keys costs linear time.
   */
  static final class FieldSet {
    private long low;
    private java.util.HashSet<Integer> high;

    void clear() {
      low = 0;
      high = null;
    }

    /** Adds {@code key} (>= 0); false if it was already there. */
    boolean add(int key) {
      if (key < 64) {
        long bit = 1L << key;
        if ((low & bit) != 0) {
          return false;
        }
        low |= bit;
        return true;
      }
      if (high == null) {
        high = new java.util.HashSet<>();
      }
      return high.add(key);
    }
  }
}
