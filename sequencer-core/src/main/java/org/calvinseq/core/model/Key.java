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
  private final int hash;

  public Key(String collection, byte[] key) {
    Objects.requireNonNull(collection, "collection");
    Objects.requireNonNull(key, "key");
    if (collection.isEmpty()) {
      throw new IllegalArgumentException("collection must not be empty");
    }
    this.collection = collection;
    this.key = key.clone();
    this.hash = 31 * collection.hashCode() + Arrays.hashCode(this.key);
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
    this.hash = 31 * collection.hashCode() + Arrays.hashCode(key);
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
    int c = compareCodePoints(collection, o.collection);
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
        && hash == k.hash
        && collection.equals(k.collection)
        && Arrays.equals(key, k.key);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public String toString() {
    return collection + ":" + HexFormatHolder.HEX.formatHex(key);
  }

  private static final class HexFormatHolder {
    static final java.util.HexFormat HEX = java.util.HexFormat.of();
  }
}
