package org.calvinseq.core.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A client transaction as proposed: optional client id, tenant, read set, write set and an opaque
 * payload (the plan the storage engine executes).
 *
 * <p>The read and write sets are canonical: sorted by {@link Key#compareTo} and free of duplicates,
 * so equal transactions encode to equal bytes.
 *
 * @param clientTxnId the client's id for de-duplication and correlation, or {@code null}
 * @param tenantId the tenant, an unsigned 64-bit value
 */
public record Txn(
    ClientTxnId clientTxnId, long tenantId, List<Key> readSet, List<Key> writeSet, byte[] payload) {

  public Txn {
    readSet = canonical(Objects.requireNonNull(readSet, "readSet"));
    writeSet = canonical(Objects.requireNonNull(writeSet, "writeSet"));
    Objects.requireNonNull(payload, "payload");
  }

  /**
   * Sorted and de-duplicated, immutable; already-canonical immutable lists are kept as they are.
   */
  static List<Key> canonical(List<Key> keys) {
    if (keys instanceof ImmutableKeys) {
      return keys; // checked strictly ascending when it was built
    }
    int n = keys.size();
    boolean sorted = true;
    for (int i = 1; i < n && sorted; i++) {
      sorted = keys.get(i - 1).compareTo(keys.get(i)) < 0;
    }
    if (sorted) {
      return List.copyOf(keys);
    }
    Key[] arr = keys.toArray(new Key[0]);
    Arrays.sort(arr);
    List<Key> out = new ArrayList<>(arr.length);
    for (Key k : arr) {
      if (out.isEmpty() || out.get(out.size() - 1).compareTo(k) != 0) {
        out.add(k);
      }
    }
    return List.copyOf(out);
  }

  /** Number of keys in both sets. */
  public int keyCount() {
    return readSet.size() + writeSet.size();
  }

  public int payloadLength() {
    return payload.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Txn t
        && tenantId == t.tenantId
        && Objects.equals(clientTxnId, t.clientTxnId)
        && readSet.equals(t.readSet)
        && writeSet.equals(t.writeSet)
        && Arrays.equals(payload, t.payload);
  }

  @Override
  public int hashCode() {
    return Objects.hash(clientTxnId, tenantId, readSet, writeSet, Arrays.hashCode(payload));
  }

  @Override
  public String toString() {
    return "Txn[client="
        + clientTxnId
        + ", tenant="
        + Long.toUnsignedString(tenantId)
        + ", read="
        + readSet
        + ", write="
        + writeSet
        + ", payload="
        + payload.length
        + "B]";
  }

  /**
   * A read-only list over an array the caller gives up, for decoders that have already checked the
   * order. Avoids a second copy on the hot decode path.
   */
  public static final class ImmutableKeys extends java.util.AbstractList<Key>
      implements java.util.RandomAccess {
    private final Key[] keys;

    private ImmutableKeys(Key[] keys) {
      this.keys = keys;
    }

    /**
     * Wraps {@code keys}, which must already be strictly ascending and owned by the caller.
     *
     * @throws IllegalArgumentException if they are not strictly ascending
     */
    public static List<Key> ofSorted(Key[] keys) {
      for (int i = 1; i < keys.length; i++) {
        if (keys[i - 1].compareTo(keys[i]) >= 0) {
          throw new IllegalArgumentException("keys not strictly ascending at " + i);
        }
      }
      return new ImmutableKeys(keys);
    }

    @Override
    public Key get(int index) {
      return keys[index];
    }

    @Override
    public int size() {
      return keys.length;
    }
  }
}
