package org.calvinseq.core.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

/**
 * Writes arbitrary msgpack, including what the encoder never would (wrong types, duplicate keys,
 * unsorted sets), from plain Java values: Integer/Long, String, byte[], List, Map (in insertion
 * order; see {@link #map}), Boolean, Double, null, and {@link Raw} for bytes written as they are.
 */
public final class Msgpack {
  private Msgpack() {}

  /** Bytes copied into the output verbatim: headers by hand, invalid UTF-8, and so on. */
  public record Raw(byte[] bytes) {}

  /** A map whose entries keep the given order; keys may repeat (kept as a list of pairs). */
  public record Pairs(List<Object> keysAndValues) {}

  public static Raw raw(int... bytes) {
    byte[] b = new byte[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      b[i] = (byte) bytes[i];
    }
    return new Raw(b);
  }

  /** An ordered map; duplicate keys are allowed, so {@code map(0, 1, 0, 1)} is a valid call. */
  public static Pairs map(Object... keysAndValues) {
    if (keysAndValues.length % 2 != 0) {
      throw new IllegalArgumentException("keys and values come in pairs");
    }
    return new Pairs(java.util.Arrays.asList(keysAndValues));
  }

  public static List<Object> array(Object... items) {
    return java.util.Arrays.asList(items);
  }

  public static byte[] pack(Object value) {
    try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
      write(p, value);
      return p.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A copy of {@code m} with {@code key} set to {@code value} (or removed when value is REMOVE).
   */
  public static Pairs with(Pairs m, Object key, Object value) {
    Map<Object, Object> copy = new LinkedHashMap<>();
    List<Object> kv = m.keysAndValues();
    for (int i = 0; i < kv.size(); i += 2) {
      copy.put(kv.get(i), kv.get(i + 1));
    }
    if (value == REMOVE) {
      copy.remove(key);
    } else {
      copy.put(key, value);
    }
    Object[] out = new Object[copy.size() * 2];
    int i = 0;
    for (Map.Entry<Object, Object> e : copy.entrySet()) {
      out[i++] = e.getKey();
      out[i++] = e.getValue();
    }
    return map(out);
  }

  public static final Object REMOVE = new Object();

  private static void write(MessageBufferPacker p, Object v) throws IOException {
    if (v == null) {
      p.packNil();
    } else if (v instanceof Integer i) {
      p.packInt(i);
    } else if (v instanceof Long l) {
      p.packLong(l);
    } else if (v instanceof String s) {
      p.packString(s);
    } else if (v instanceof byte[] b) {
      p.packBinaryHeader(b.length).writePayload(b);
    } else if (v instanceof Boolean b) {
      p.packBoolean(b);
    } else if (v instanceof Double d) {
      p.packDouble(d);
    } else if (v instanceof Raw r) {
      p.writePayload(r.bytes());
    } else if (v instanceof Pairs m) {
      List<Object> kv = m.keysAndValues();
      p.packMapHeader(kv.size() / 2);
      for (Object o : kv) {
        write(p, o);
      }
    } else if (v instanceof List<?> l) {
      p.packArrayHeader(l.size());
      for (Object o : l) {
        write(p, o);
      }
    } else {
      throw new IllegalArgumentException("cannot pack " + v.getClass());
    }
  }
}
