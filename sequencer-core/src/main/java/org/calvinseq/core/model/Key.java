package org.calvinseq.core.model;

import java.util.Arrays;
import java.util.Objects;

/**
 * A key a transaction reads or writes: a collection name and opaque key bytes.
 *
 * <p>Keys order by collection (Unicode code point order, which equals UTF-8 byte order) and then by
 * key bytes compared unsigned, so every language that reads the wire format sorts them the same
 * way. The byte array is copied on construction and never exposed, so a {@code Key} is immutable.
 */
public final class Key implements Comparable<Key> {
  private final String collection;
  private final byte[] key;
  private int hash; // lazily computed; 0 means not yet (a real 0 is recomputed, harmlessly)

  public Key(String collection, byte[] key) {
    Objects.requireNonNull(collection, "collection");
    Objects.requireNonNull(key, "key");
    if (collection.isEmpty()) {
      throw new IllegalArgumentException("collection must not be empty");
    }
    this.collection = collection;
    this.key = key.clone();
  }

  /**
   * Takes ownership of {@code key} without copying; for decoders that have just allocated it. The
   * caller must not keep or modify the array.
   */
  public static Key ofOwned(String collection, byte[] key) {
    if (collection.isEmpty()) {
      throw new IllegalArgumentException("collection must not be empty");
    }
    return new Key(collection, key, true);
  }

  @SuppressWarnings("unused")
  private Key(String collection, byte[] key, boolean owned) {
    this.collection = collection;
    this.key = key;
  }

  public static Key of(String collection, String key) {
    return new Key(collection, key.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  public String collection() {
    return collection;
  }

  /** A copy of the key bytes. */
  public byte[] key() {
    return key.clone();
  }

  public int keyLength() {
    return key.length;
  }

  /** Reads the key bytes without copying; callers must not modify the array. */
  public byte[] keyUnsafe() {
    return key;
  }

  @Override
  public int compareTo(Key o) {
    // Decoded keys of one collection share one String instance: skip the character compare.
    int c = collection == o.collection ? 0 : compareCodePoints(collection, o.collection);
    return c != 0 ? c : Arrays.compareUnsigned(key, o.key);
  }

  /** Compares by Unicode code point, which matches unsigned UTF-8 byte order. */
  static int compareCodePoints(String a, String b) {
    int n = Math.min(a.length(), b.length());
    for (int i = 0; i < n; i++) {
      char ca = a.charAt(i);
      char cb = b.charAt(i);
      if (ca != cb) {
        boolean sa = Character.isSurrogate(ca);
        boolean sb = Character.isSurrogate(cb);
        if (sa != sb) {
          // A surrogate (code point >= U+10000) sorts after every BMP char.
          return sa ? 1 : -1;
        }
        return Character.compare(ca, cb);
      }
    }
    return Integer.compare(a.length(), b.length());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Key k
        && hashCode() == k.hashCode()
        && collection.equals(k.collection)
        && Arrays.equals(key, k.key);
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0) {
      h = 31 * collection.hashCode() + Arrays.hashCode(key);
      hash = h;
    }
    return h;
  }

  @Override
  public String toString() {
    return collection + ":" + HexFormatHolder.HEX.formatHex(key);
  }

  private static final class HexFormatHolder {
    static final java.util.HexFormat HEX = java.util.HexFormat.of();
  }
}
