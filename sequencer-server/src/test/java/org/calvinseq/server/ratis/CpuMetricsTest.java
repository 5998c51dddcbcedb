package org.calvinseq.server.ratis;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

class CpuMetricsTest {
  @Test
  void exportsProcessorMetricsUnderPromtoolCleanNames() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new CpuMetrics().bindTo(registry);
    String scrape = registry.scrape();

    assertThat(scrape)
        .contains("# TYPE process_cpu_seconds_total counter")
        .contains("# TYPE jvm_available_processors gauge")
        .contains("# TYPE process_cpu_usage gauge")
        .contains("# TYPE system_cpu_usage gauge")
        .doesNotContain("process_cpu_time")
        .doesNotContain("system_cpu_count");
    assertThat(registry.get("jvm.available.processors").gauge().value())
        .isEqualTo(Runtime.getRuntime().availableProcessors());
    double cpu = registry.get("process.cpu").functionCounter().count();
    assertThat(cpu).as("CPU seconds this JVM used").isPositive().isLessThan(1e6);
    registry.close();
  }
}
