package org.calvinseq.server.inbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class TopTenantsTest {
  @Test
  void countsExactlyWhileTheyFit() {
    TopTenants top = new TopTenants(3);
    top.count(1);
    top.count(2);
    top.count(2);
    top.count(-1); // unsigned 2^64-1
    assertThat(top.top())
        .containsExactly(new TenantCount(2, 2), new TenantCount(1, 1), new TenantCount(-1, 1));
  }

  @Test
  void staysBoundedAndKeepsTheHeavyHittersAmongManyTenants() {
    TopTenants top = new TopTenants(10);
    Random rnd = new Random(3);
    for (int i = 0; i < 100_000; i++) {
      // Tenants 7 and 8 are a fifth of the events each, above the 1/10 that Space-Saving with 10
      // counters guarantees to keep; the rest is spread over 10,000 tenants.
      int r = rnd.nextInt(10);
      top.count(r < 4 ? 7 + r % 2 : 1000 + rnd.nextInt(10_000));
    }
    assertThat(top.top()).hasSize(10);
    assertThat(top.top().subList(0, 2))
        .extracting(TenantCount::tenantId)
        .containsExactlyInAnyOrder(7L, 8L);
    assertThat(top.top().get(0).count()).isGreaterThanOrEqualTo(19_000);
  }
}
