package org.calvinseq.server.inbox;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The tenants counted most often, in bounded memory: the Space-Saving algorithm (A. Metwally, D.
 * Agrawal, A. El Abbadi, "Efficient Computation of Frequent and Top-k Elements in Data Streams",
 * ICDT 2005). It tracks at most {@code capacity} tenants; a new tenant replaces the one with the
 * smallest count and inherits that count, so a listed count may overstate a tenant's by at most the
 * smallest count listed, and any tenant counted more than the total over {@code capacity} times is
 * listed. Not thread-safe: the inbox's lock guards it.
 */
final class TopTenants {
  private final int capacity;
  private final Map<Long, long[]> counts = new HashMap<>();

  TopTenants(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be >= 1: " + capacity);
    }
    this.capacity = capacity;
  }

  void count(long tenant) {
    long[] c = counts.get(tenant);
    if (c != null) {
      c[0]++;
      return;
    }
    if (counts.size() < capacity) {
      counts.put(tenant, new long[] {1});
      return;
    }
    Long smallest = null;
    long min = Long.MAX_VALUE;
    for (Map.Entry<Long, long[]> e : counts.entrySet()) {
      if (e.getValue()[0] < min) {
        min = e.getValue()[0];
        smallest = e.getKey();
      }
    }
    counts.remove(smallest);
    counts.put(tenant, new long[] {min + 1});
  }

  /** The tracked tenants, most counted first (ties by tenant id). */
  List<TenantCount> top() {
    List<TenantCount> out = new ArrayList<>(counts.size());
    counts.forEach((t, c) -> out.add(new TenantCount(t, c[0])));
    out.sort(
        Comparator.comparingLong(TenantCount::count)
            .reversed()
            .thenComparing(TenantCount::tenantId, Long::compareUnsigned));
    return List.copyOf(out);
  }
}
