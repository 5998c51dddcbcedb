package org.calvinseq.core.routing;

import org.calvinseq.core.model.Key;

/**
 * The default router: {@code vshard = fnv1a32(utf8(collection)) mod vshardCount}, the hash taken as
 * an unsigned 32-bit value. FNV-1a uses offset basis {@code 0x811C9DC5} and prime {@code
 * 0x01000193}. All keys of one collection land on one vshard.
 */
public final class CollectionHashRouter implements VShardRouter {
  private static final int FNV_OFFSET = 0x811C9DC5;
  private static final int FNV_PRIME = 0x01000193;

  private static final int CACHE_SIZE = 4096;

  private final int vshardCount;

  /**
   * Routed collections, a slot filled once by the first collection that hashes to it and never
   * replaced, so the cache allocates at most {@value #CACHE_SIZE} entries in its life and the
   * routing of other collections never allocates. Entries are immutable, so threads may share the
   * array without locking; a lost race only costs a recomputation. Decoded keys of one collection
   * usually share one {@code String} instance, so a hit is an identity check.
   */
  private final Routed[] cache = new Routed[CACHE_SIZE];

  private record Routed(String collection, int vshard) {}

  public CollectionHashRouter(int vshardCount) {
    if (vshardCount < 1) {
      throw new IllegalArgumentException("vshardCount must be >= 1: " + vshardCount);
    }
    this.vshardCount = vshardCount;
  }

  public CollectionHashRouter() {
    this(DEFAULT_VSHARD_COUNT);
  }

  @Override
  public int vshardCount() {
    return vshardCount;
  }

  @Override
  public int vshardOf(Key key) {
    return vshardOfCollection(key.collection());
  }

  public int vshardOfCollection(String collection) {
    int slot = collection.hashCode() & (CACHE_SIZE - 1);
    Routed r = cache[slot];
    if (r != null && (r.collection == collection || r.collection.equals(collection))) {
      return r.vshard;
    }
    int vshard = Integer.remainderUnsigned(fnv1a32Utf8(collection), vshardCount);
    if (r == null) {
      cache[slot] = new Routed(collection, vshard);
    }
    return vshard;
  }

  /** FNV-1a over the UTF-8 bytes of {@code s}, without allocating them. */
  public static int fnv1a32Utf8(String s) {
    int h = FNV_OFFSET;
    int n = s.length();
    for (int i = 0; i < n; i++) {
      int c = s.charAt(i);
      if (c < 0x80) {
        h = (h ^ c) * FNV_PRIME;
      } else if (c < 0x800) {
        h = (h ^ (0xC0 | (c >> 6))) * FNV_PRIME;
        h = (h ^ (0x80 | (c & 0x3F))) * FNV_PRIME;
      } else if (Character.isHighSurrogate((char) c)
          && i + 1 < n
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        int cp = Character.toCodePoint((char) c, s.charAt(++i));
        h = (h ^ (0xF0 | (cp >> 18))) * FNV_PRIME;
        h = (h ^ (0x80 | ((cp >> 12) & 0x3F))) * FNV_PRIME;
        h = (h ^ (0x80 | ((cp >> 6) & 0x3F))) * FNV_PRIME;
        h = (h ^ (0x80 | (cp & 0x3F))) * FNV_PRIME;
      } else {
        if (Character.isSurrogate((char) c)) {
          c = '?'; // lone surrogate: String.getBytes(UTF_8) encodes it as '?'
        }
        if (c < 0x80) {
          h = (h ^ c) * FNV_PRIME;
        } else {
          h = (h ^ (0xE0 | (c >> 12))) * FNV_PRIME;
          h = (h ^ (0x80 | ((c >> 6) & 0x3F))) * FNV_PRIME;
          h = (h ^ (0x80 | (c & 0x3F))) * FNV_PRIME;
        }
      }
    }
    return h;
  }
}
