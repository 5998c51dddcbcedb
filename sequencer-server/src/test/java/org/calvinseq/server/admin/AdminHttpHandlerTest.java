package org.calvinseq.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The request handler alone, in an {@link EmbeddedChannel}: routes, bodies, headers, meters. */
class AdminHttpHandlerTest {
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final List<ReadinessCheck> checks = new ArrayList<>();
  private final AtomicBoolean hasLeader = new AtomicBoolean(true);
  private final Map<String, Object> status = new LinkedHashMap<>();
  private EmbeddedChannel channel;

  @BeforeEach
  void setUp() {
    Counter.builder("sequencer.test.events").register(registry).increment(3);
    checks.add(ReadinessCheck.of("has-leader", hasLeader::get));
    status.put("nodeId", "n1");
    status.put("lastAppliedIndex", 42);
  }

  @AfterEach
  void tearDown() {
    if (channel != null) {
      channel.finishAndReleaseAll();
    }
  }

  /** The channel, built on first use so that a test can add checks before. */
  private EmbeddedChannel channel() {
    if (channel == null) {
      AdminMeters meters = new AdminMeters(registry, new AtomicInteger());
      AdminRoutes routes = new AdminRoutes(registry, checks, () -> status, new ObjectMapper());
      channel = new EmbeddedChannel(new AdminHttpHandler(routes, meters));
    }
    return channel;
  }

  @Test
  void metricsDefaultToPrometheusText() {
    Reply reply = send(request(HttpMethod.GET, "/metrics"));

    assertThat(reply.status).isEqualTo(200);
    assertThat(reply.contentType).isEqualTo("text/plain; version=0.0.4; charset=utf-8");
    assertThat(reply.body).contains("sequencer_test_events_total 3.0").doesNotContain("# EOF");
  }

  @Test
  void metricsServeOpenMetricsWhenAsked() {
    FullHttpRequest request = request(HttpMethod.GET, "/metrics");
    request
        .headers()
        .set(
            HttpHeaderNames.ACCEPT,
            "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1");

    Reply reply = send(request);

    assertThat(reply.status).isEqualTo(200);
    assertThat(reply.contentType)
        .isEqualTo("application/openmetrics-text; version=1.0.0; charset=utf-8");
    assertThat(reply.body).contains("sequencer_test_events_total 3.0").endsWith("# EOF\n");
  }

  @Test
  void healthIsOk() {
    Reply reply = send(request(HttpMethod.GET, "/health"));

    assertThat(reply.status).isEqualTo(200);
    assertThat(reply.body).isEqualTo("ok\n");
  }

  @Test
  void readyListsEveryCheckAndPassesWhenAllPass() {
    checks.add(ReadinessCheck.of("caught-up", () -> true));

    Reply reply = send(request(HttpMethod.GET, "/ready?verbose"));

    assertThat(reply.status).isEqualTo(200);
    assertThat(reply.body).isEqualTo("[+]has-leader ok\n[+]caught-up ok\nready\n");
  }

  @Test
  void readyFailsWith503AndTheReasonOfTheFailingCheck() {
    checks.add(new ReadinessCheck("caught-up", () -> CheckResult.fail("applied 7 of 9\nentries")));
    checks.add(
        new ReadinessCheck(
            "throws",
            () -> {
              throw new IllegalStateException("boom");
            }));
    hasLeader.set(false);

    Reply reply = send(request(HttpMethod.GET, "/ready"));

    assertThat(reply.status).isEqualTo(503);
    assertThat(reply.body.split("\n"))
        .containsExactly(
            "[-]has-leader failed: condition false",
            "[-]caught-up failed: applied 7 of 9 entries",
            "[-]throws failed: probe threw java.lang.IllegalStateException: boom",
            "not ready");
  }

  @Test
  void statusIsTheSourceAsJson() throws Exception {
    Reply reply = send(request(HttpMethod.GET, "/status"));

    assertThat(reply.status).isEqualTo(200);
    assertThat(reply.contentType).isEqualTo("application/json");
    JsonNode json = new ObjectMapper().readTree(reply.body);
    assertThat(json.get("nodeId").asText()).isEqualTo("n1");
    assertThat(json.get("lastAppliedIndex").asLong()).isEqualTo(42);
  }

  @Test
  void statusThatCannotBeSerializedIs500() {
    status.put("self", new Object()); // Jackson refuses an empty bean

    assertThat(send(request(HttpMethod.GET, "/status")).status).isEqualTo(500);
  }

  @Test
  void unknownPathIs404AndOtherMethodsAre405() {
    Reply notFound = send(request(HttpMethod.GET, "/nope"));
    Reply notAllowed = send(request(HttpMethod.POST, "/metrics"));

    assertThat(notFound.status).isEqualTo(404);
    assertThat(notAllowed.status).isEqualTo(405);
    assertThat(notAllowed.allow).isEqualTo("GET");
  }

  @Test
  void keepsTheConnectionOnlyWhenTheClientAsksForIt() {
    send(request(HttpMethod.GET, "/health"));
    assertThat(channel().isOpen()).isTrue();

    FullHttpRequest close = request(HttpMethod.GET, "/health");
    close.headers().set(HttpHeaderNames.CONNECTION, "close");
    Reply reply = send(close);

    assertThat(reply.connection).isEqualTo("close");
    assertThat(channel().isOpen()).isFalse();
  }

  @Test
  void http10WithoutKeepAliveIsClosed() {
    FullHttpRequest request =
        new DefaultFullHttpRequest(
            HttpVersion.HTTP_1_0, HttpMethod.GET, "/health", Unpooled.EMPTY_BUFFER);

    send(request);

    assertThat(channel().isOpen()).isFalse();
  }

  @Test
  void countsRequestsByRouteAndCode() {
    send(request(HttpMethod.GET, "/health"));
    send(request(HttpMethod.GET, "/health"));
    send(request(HttpMethod.GET, "/x"));
    hasLeader.set(false);
    send(request(HttpMethod.GET, "/ready"));

    assertThat(requests("health", "200")).isEqualTo(2);
    assertThat(requests("unknown", "404")).isEqualTo(1);
    assertThat(requests("ready", "503")).isEqualTo(1);
  }

  private double requests(String route, String code) {
    return registry
        .get(AdminMeters.REQUESTS)
        .tag("route", route)
        .tag("code", code)
        .counter()
        .count();
  }

  private static FullHttpRequest request(HttpMethod method, String uri) {
    return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri, Unpooled.EMPTY_BUFFER);
  }

  private Reply send(FullHttpRequest request) {
    channel().writeInbound(request);
    FullHttpResponse response = channel().readOutbound();
    try {
      assertThat(response.headers().getInt(HttpHeaderNames.CONTENT_LENGTH))
          .isEqualTo(response.content().readableBytes());
      return new Reply(
          response.status().code(),
          response.headers().get(HttpHeaderNames.CONTENT_TYPE),
          response.headers().get(HttpHeaderNames.ALLOW),
          response.headers().get(HttpHeaderNames.CONNECTION),
          response.content().toString(StandardCharsets.UTF_8));
    } finally {
      response.release();
    }
  }

  private record Reply(
      int status, String contentType, String allow, String connection, String body) {}
}
