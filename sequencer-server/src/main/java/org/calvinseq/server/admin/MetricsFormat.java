package org.calvinseq.server.admin;

import java.util.Locale;

/**
 * The two text exposition formats {@code /metrics} serves, and the choice between them.
 *
 * <p>We negotiate here instead of handing the raw {@code Accept} header to {@code
 * PrometheusMeterRegistry.scrape}: the registry would pick a writer without telling us its content
 * type (and could pick protobuf, which we do not label), so we choose the format, then pass its
 * canonical content type to the registry, which maps it back to the same writer.
 */
enum MetricsFormat {
  PROMETHEUS_TEXT("text/plain; version=0.0.4; charset=utf-8"),
  OPENMETRICS("application/openmetrics-text; version=1.0.0; charset=utf-8");

  private static final String OPENMETRICS_TYPE = "application/openmetrics-text";

  private final String contentType;

  MetricsFormat(String contentType) {
    this.contentType = contentType;
  }

  String contentType() {
    return contentType;
  }

  /**
   * OpenMetrics when the client lists it with a quality at least that of {@code text/plain} (or a
   * wildcard), as Prometheus does ({@code application/openmetrics-text;version=1.0.0,...,
   * text/plain;version=0.0.4;q=0.5,*}{@code /*;q=0.1}); the 0.0.4 text format otherwise, including
   * when there is no {@code Accept} header.
   */
  static MetricsFormat negotiate(String accept) {
    if (accept == null || accept.isBlank()) {
      return PROMETHEUS_TEXT;
    }
    double openMetrics = 0;
    double text = 0;
    for (String range : accept.split(",")) {
      String[] parts = range.split(";");
      String type = parts[0].strip().toLowerCase(Locale.ROOT);
      double q = quality(parts);
      if (type.equals(OPENMETRICS_TYPE)) {
        openMetrics = Math.max(openMetrics, q);
      } else if (type.equals("text/plain") || type.equals("text/*") || type.equals("*/*")) {
        text = Math.max(text, q);
      }
    }
    return openMetrics > 0 && openMetrics >= text ? OPENMETRICS : PROMETHEUS_TEXT;
  }

  private static double quality(String[] parts) {
    for (int i = 1; i < parts.length; i++) {
      String param = parts[i].strip();
      if (param.length() > 2 && (param.startsWith("q=") || param.startsWith("Q="))) {
        try {
          double q = Double.parseDouble(param.substring(2).strip());
          return q >= 0 && q <= 1 ? q : 0;
        } catch (NumberFormatException e) {
          return 0;
        }
      }
    }
    return 1;
  }
}
