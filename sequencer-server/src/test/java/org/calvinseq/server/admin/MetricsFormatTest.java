package org.calvinseq.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.calvinseq.server.admin.MetricsFormat.OPENMETRICS;
import static org.calvinseq.server.admin.MetricsFormat.PROMETHEUS_TEXT;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MetricsFormatTest {
  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(
      delimiter = '|',
      nullValues = "NULL",
      value = {
        "NULL | PROMETHEUS_TEXT",
        "'' | PROMETHEUS_TEXT",
        "*/* | PROMETHEUS_TEXT",
        "text/plain;version=0.0.4 | PROMETHEUS_TEXT",
        "text/html,application/xhtml+xml,*/*;q=0.8 | PROMETHEUS_TEXT",
        // Prometheus 2.x and 3.x scrape headers
        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
            + "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1 | OPENMETRICS",
        "application/openmetrics-text; version=1.0.0; charset=utf-8 | OPENMETRICS",
        "Application/OpenMetrics-Text | OPENMETRICS",
        "text/plain;q=0.9,application/openmetrics-text;q=0.5 | PROMETHEUS_TEXT",
        "application/openmetrics-text;q=0,*/* | PROMETHEUS_TEXT",
        "application/openmetrics-text;q=bogus | PROMETHEUS_TEXT",
        // protobuf is never chosen: we do not label it
        "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
            + "encoding=delimited | PROMETHEUS_TEXT",
      })
  void negotiates(String accept, MetricsFormat expected) {
    assertThat(MetricsFormat.negotiate(accept)).isEqualTo(expected);
  }

  @Test
  void contentTypesAreTheCanonicalOnes() {
    assertThat(PROMETHEUS_TEXT.contentType()).isEqualTo("text/plain; version=0.0.4; charset=utf-8");
    assertThat(OPENMETRICS.contentType())
        .isEqualTo("application/openmetrics-text; version=1.0.0; charset=utf-8");
  }
}
