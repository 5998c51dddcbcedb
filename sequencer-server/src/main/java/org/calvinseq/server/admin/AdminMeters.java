package org.calvinseq.server.admin;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The endpoint's own meters. Tag values are bounded: routes are a fixed set, status codes are the
 * handful the endpoint and Netty's codecs produce, rejection reasons are two.
 */
final class AdminMeters {
  static final String REQUESTS = "sequencer.admin.requests";
  static final String REJECTED = "sequencer.admin.connections.rejected";
  static final String EXPIRED = "sequencer.admin.connections.expired";
  static final String EVICTED = "sequencer.admin.connections.evicted";
  static final String OPEN = "sequencer.admin.connections.open";

  static final String REASON_LIMIT = "limit";
  static final String REASON_FORBIDDEN = "forbidden";

  private final MeterRegistry registry;
  private final Counter rejectedLimit;
  private final Counter rejectedForbidden;
  private final Counter expired;
  private final Counter evicted;
  private final Map<String, Counter> requests = new ConcurrentHashMap<>();

  AdminMeters(MeterRegistry registry, AtomicInteger openConnections) {
    this.registry = registry;
    rejectedLimit = rejected(REASON_LIMIT);
    rejectedForbidden = rejected(REASON_FORBIDDEN);
    expired =
        Counter.builder(EXPIRED)
            .description(
                "Admin connections closed because a request or an exchange missed its deadline")
            .register(registry);
    evicted =
        Counter.builder(EVICTED)
            .description(
                "Admin connections closed while waiting for a request to make room for a new one")
            .register(registry);
    Gauge.builder(OPEN, openConnections, AtomicInteger::get)
        .description("Admin connections currently open (accepted and under the cap)")
        .strongReference(true)
        .register(registry);
  }

  private Counter rejected(String reason) {
    return Counter.builder(REJECTED)
        .description("Admin connections closed on accept: over the cap or outside the allow-list")
        .tag("reason", reason)
        .register(registry);
  }

  void rejectedOverLimit() {
    rejectedLimit.increment();
  }

  void rejectedForbidden() {
    rejectedForbidden.increment();
  }

  void deadlineExpired() {
    expired.increment();
  }

  void evicted() {
    evicted.increment();
  }

  void request(String route, int status) {
    requests
        .computeIfAbsent(
            route + ' ' + status,
            key ->
                Counter.builder(REQUESTS)
                    .description("Admin HTTP requests by route and status code")
                    .tag("route", route)
                    .tag("code", Integer.toString(status))
                    .register(registry))
        .increment();
  }
}
