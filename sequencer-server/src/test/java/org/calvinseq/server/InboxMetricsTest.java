package org.calvinseq.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.TreeSet;
import org.calvinseq.core.codec.ProposalLimits;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.Txn;
import org.calvinseq.server.inbox.InboxClock;
import org.calvinseq.server.inbox.InboxSettings;
import org.calvinseq.server.inbox.LeaderInbox;
import org.junit.jupiter.api.Test;

/** The inbox's refusal counters: by reason and by a tenant class of three values, never by id. */
class InboxMetricsTest {
  private final MeterRegistry registry = new SimpleMeterRegistry();
  private final InboxMetrics metrics = new InboxMetrics(registry);
  private final LeaderInbox inbox =
      new LeaderInbox(
          InboxSettings.defaults(ProposalLimits.DEFAULTS).withEpochLimits(2, 1 << 20),
          InboxClock.system(),
          metrics);

  private static List<Txn> txns(long tenant, int n) {
    List<Txn> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new Txn(null, tenant, List.of(), List.of(Key.of("c", "k" + i)), new byte[1]));
    }
    return out;
  }

  private double refusals(String reason, String tenantClass) {
    return registry
        .get("sequencer.inbox.refusals")
        .tag("reason", reason)
        .tag("tenant_class", tenantClass)
        .counter()
        .count();
  }

  @Test
  void everyPossibleSeriesExistsFromStartUpWithBoundedLabels() {
    TreeSet<String> series = new TreeSet<>();
    TreeSet<String> classes = new TreeSet<>();
    for (Counter c : registry.get("sequencer.inbox.refusals").counters()) {
      assertThat(c.count()).isZero();
      series.add(c.getId().getTag("reason") + "/" + c.getId().getTag("tenant_class"));
      classes.add(c.getId().getTag("tenant_class"));
    }
    assertThat(classes).containsExactly("default", "none", "other");
    assertThat(series)
        .contains(
            "empty/none",
            "malformed/none",
            "not_leader/none",
            "too_large/none",
            "closed/none",
            "inbox_full_txns/default",
            "inbox_full_txns/other",
            "reserved/other")
        .doesNotContain("empty/default", "empty/other")
        .hasSize(5 + 9 * 2);
  }

  @Test
  void refusalsAreCountedByReasonAndTenantClass() {
    assertThat(inbox.submit(List.of())).isCompletedExceptionally();
    assertThat(inbox.submit(txns(0, 3))).isCompletedExceptionally();
    assertThat(inbox.submit(txns(7, 3))).isCompletedExceptionally();
    assertThat(inbox.submit(txns(-1, 3))).as("tenant 2^64-1").isCompletedExceptionally();
    metrics.refusedBeforeInbox(InboxMetrics.MALFORMED);
    metrics.refusedBeforeInbox("closed");
    metrics.refusedBeforeInbox(InboxMetrics.NOT_LEADER);

    assertThat(refusals("empty", "none")).isEqualTo(1);
    assertThat(refusals("too_many_txns", "default")).isEqualTo(1);
    assertThat(refusals("too_many_txns", "other")).isEqualTo(2);
    assertThat(refusals("malformed", "none")).isEqualTo(1);
    assertThat(refusals("closed", "none")).isEqualTo(1);
    assertThat(refusals("not_leader", "none")).isEqualTo(1);

    inbox.close("the test closed it", null);
    assertThat(inbox.submit(txns(0, 1))).isCompletedExceptionally();
    assertThat(refusals("closed", "default")).isEqualTo(1);
    assertThat(registry.get("sequencer.inbox.refusals").counters()).hasSize(5 + 9 * 2);
  }

  @Test
  void tenantClassesAreNoneDefaultAndOther() {
    assertThat(InboxMetrics.TenantClass.of(OptionalLong.empty()))
        .isEqualTo(InboxMetrics.TenantClass.NONE);
    assertThat(InboxMetrics.TenantClass.of(OptionalLong.of(0)))
        .isEqualTo(InboxMetrics.TenantClass.DEFAULT);
    assertThat(InboxMetrics.TenantClass.of(OptionalLong.of(1)))
        .isEqualTo(InboxMetrics.TenantClass.OTHER);
    assertThat(InboxMetrics.TenantClass.of(OptionalLong.of(-1)))
        .isEqualTo(InboxMetrics.TenantClass.OTHER);
  }
}
