package org.calvinseq.server.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Maps a request (method, path, {@code Accept}) to a response. Knows nothing of Netty; it runs on
 * whatever thread calls it, which in the server is the admin worker thread.
 */
final class AdminRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(AdminRoutes.class);

  static final String ROUTE_METRICS = "metrics";
  static final String ROUTE_HEALTH = "health";
  static final String ROUTE_READY = "ready";
  static final String ROUTE_STATUS = "status";
  static final String ROUTE_UNKNOWN = "unknown";
  static final String ROUTE_INVALID = "invalid";

  private final PrometheusMeterRegistry registry;
  private final List<ReadinessCheck> checks;
  private final StatusSource status;
  private final ObjectMapper mapper;

  AdminRoutes(
      PrometheusMeterRegistry registry,
      List<ReadinessCheck> checks,
      StatusSource status,
      ObjectMapper mapper) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.checks = List.copyOf(checks);
    this.status = Objects.requireNonNull(status, "status");
    this.mapper = Objects.requireNonNull(mapper, "mapper");
  }

  /**
   * Answers one request.
   *
   * @param method the HTTP method name
   * @param path the path without query string
   * @param accept the {@code Accept} header, or null
   */
  AdminResponse handle(String method, String path, String accept) {
    String route = route(path);
    if (route.equals(ROUTE_UNKNOWN)) {
      return AdminResponse.text(route, 404, "not found\n");
    }
    if (!method.equals("GET")) {
      return AdminResponse.text(route, 405, "method not allowed\n");
    }
    return switch (route) {
      case ROUTE_METRICS -> metrics(accept);
      case ROUTE_HEALTH -> AdminResponse.text(route, 200, "ok\n");
      case ROUTE_READY -> ready();
      default -> status();
    };
  }

  private static String route(String path) {
    return switch (path) {
      case "/metrics" -> ROUTE_METRICS;
      case "/health" -> ROUTE_HEALTH;
      case "/ready" -> ROUTE_READY;
      case "/status" -> ROUTE_STATUS;
      default -> ROUTE_UNKNOWN;
    };
  }

  private AdminResponse metrics(String accept) {
    MetricsFormat format = MetricsFormat.negotiate(accept);
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
    try {
      registry.scrape(out, format.contentType());
    } catch (IOException | RuntimeException e) {
      LOG.warn("Metrics scrape failed", e);
      return AdminResponse.text(ROUTE_METRICS, 500, "scrape failed\n");
    }
    return new AdminResponse(ROUTE_METRICS, 200, format.contentType(), out.toByteArray());
  }

  /** The format of Kubernetes' {@code /readyz?verbose}, with a plain last line. */
  private AdminResponse ready() {
    StringBuilder body = new StringBuilder();
    boolean ready = true;
    for (ReadinessCheck check : checks) {
      CheckResult result = check.run();
      if (result.passed()) {
        body.append("[+]").append(check.name()).append(" ok\n");
      } else {
        ready = false;
        body.append("[-]").append(check.name()).append(" failed: ");
        body.append(result.reason()).append('\n');
      }
    }
    body.append(ready ? "ready\n" : "not ready\n");
    return AdminResponse.text(ROUTE_READY, ready ? 200 : 503, body.toString());
  }

  private AdminResponse status() {
    try {
      byte[] json = mapper.writeValueAsBytes(status.status());
      return new AdminResponse(ROUTE_STATUS, 200, AdminResponse.JSON, json);
    } catch (IOException | RuntimeException e) {
      LOG.warn("Status snapshot failed", e);
      return AdminResponse.text(ROUTE_STATUS, 500, "status unavailable\n");
    }
  }
}
