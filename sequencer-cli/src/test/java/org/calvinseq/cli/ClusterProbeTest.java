package org.calvinseq.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.calvinseq.cli.ClusterProbe.Reading;
import org.junit.jupiter.api.Test;

/** The bench's reading of a scrape and of the cluster's CPU, without a cluster. */
class ClusterProbeTest {
  private static final String SCRAPE =
      """
      # HELP sequencer_epochs_applied_total Epoch batches applied
      # TYPE sequencer_epochs_applied_total counter
      sequencer_epochs_applied_total 1200.0
      sequencer_epochs_applied_total_extra 5.0
      # TYPE sequencer_batch_txns histogram
      sequencer_batch_txns_bucket{le="1.0"} 0.0
      sequencer_batch_txns_bucket{le="+Inf"} 1200.0
      sequencer_batch_txns_count 1200.0
      sequencer_batch_txns_sum 1.2E6
      sequencer_batch_txns_max 1000.0
      sequencer_inbox_epochs_closed_total{reason="slot"} 3.0 1700000000000
      sequencer_inbox_epochs_closed_total{reason="txns"} 4.0
      """;

  @Test
  void readsAFamilyExactlySummingItsLabelSets() {
    assertThat(ClusterProbe.value(SCRAPE, "sequencer_epochs_applied_total")).isEqualTo(1200.0);
    assertThat(ClusterProbe.value(SCRAPE, "sequencer_batch_txns_sum")).isEqualTo(1_200_000.0);
    assertThat(ClusterProbe.value(SCRAPE, "sequencer_inbox_epochs_closed_total")).isEqualTo(7.0);
    assertThat(ClusterProbe.value(SCRAPE, "sequencer_nothing_total")).isNaN();
    assertThat(ClusterProbe.value(null, "sequencer_epochs_applied_total")).isNaN();
  }

  @Test
  void describesTheWindowAndWhatWasNotRead() {
    Reading a = new Reading(100, 100, 1_000, Duration.ofMillis(500));
    Reading b = new Reading(300, 300, 101_000, Duration.ofMillis(2_500));
    assertThat(ClusterProbe.describe(a, b, 2.0))
        .isEqualTo(
            "200 entries, 100.0 entries/s, txns/epoch 500.0, cluster cpu 1.00 cores,"
                + " cpu/entry 10.000 ms");
    Reading none = new Reading(Double.NaN, Double.NaN, Double.NaN, null);
    assertThat(ClusterProbe.describe(none, none, 2.0))
        .isEqualTo("entries n/a, txns/epoch n/a, cluster cpu n/a");
  }

  @Test
  void describesTheClientsCpu() {
    assertThat(
            ClusterProbe.describeClient(
                Duration.ofMillis(500), Duration.ofMillis(1_500), 2.0, 250_000))
        .isEqualTo("client cpu 0.50 cores, cpu/txn 4.00 us");
    assertThat(ClusterProbe.describeClient(Duration.ZERO, Duration.ofMillis(10), 1.0, 0))
        .isEqualTo("client cpu 0.01 cores, cpu/txn n/a");
    assertThat(ClusterProbe.describeClient(null, Duration.ZERO, 1.0, 10))
        .isEqualTo("client cpu n/a");
    assertThat(ClusterProbe.ownCpu()).isPositive();
  }

  @Test
  void anAdminEndpointMeansItsMetricsRoute() {
    assertThat(ClusterProbe.metricsUri("http://127.0.0.1:9464").toString())
        .isEqualTo("http://127.0.0.1:9464/metrics");
    assertThat(ClusterProbe.metricsUri("http://127.0.0.1:9464/").toString())
        .isEqualTo("http://127.0.0.1:9464/metrics");
    assertThat(ClusterProbe.metricsUri("http://h:1/x/metrics").toString())
        .isEqualTo("http://h:1/x/metrics");
  }

  @Test
  void readsThisProcessesCpuTime() {
    Reading r = new ClusterProbe(null, List.of(ProcessHandle.current().pid())).read();
    assertThat(r.cpu()).isPositive();
    assertThat(r.epochs()).isNaN();
  }

  @Test
  void addsUpSeveralProcessesCpuTime() throws Exception {
    long self = ProcessHandle.current().pid();
    Process child = new ProcessBuilder("sleep", "30").start();
    try {
      ClusterProbe one = new ClusterProbe(null, List.of(self));
      ClusterProbe two = new ClusterProbe(null, List.of(self, self));
      Duration a = one.read().cpu();
      Duration doubled = two.read().cpu();
      Duration b = one.read().cpu();
      // Read between two readings of one, the doubled sum lies between twice each of them.
      assertThat(doubled).isBetween(a.multipliedBy(2), b.multipliedBy(2));
      assertThat(new ClusterProbe(null, List.of(self, child.pid())).read().cpu())
          .isGreaterThanOrEqualTo(b);
    } finally {
      child.destroyForcibly().waitFor();
    }
  }

  @Test
  void reportsNoCpuWhenAProcessIsGone() throws Exception {
    Process child = new ProcessBuilder("true").start();
    child.waitFor();
    ClusterProbe probe =
        new ClusterProbe(null, List.of(ProcessHandle.current().pid(), child.pid()));
    assertThat(probe.read().cpu()).isNull();
    assertThat(probe.active()).isFalse();
  }
}
