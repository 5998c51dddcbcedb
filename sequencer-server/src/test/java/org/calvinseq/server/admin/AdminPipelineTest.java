package org.calvinseq.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The whole per-connection pipeline (allow-list, cap, codec, deadline, aggregator, handler) in
 * embedded channels with a frozen clock: every timing here is exact, nothing sleeps.
 */
class AdminPipelineTest {
  private static final long DEADLINE_MS = 300;

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final List<EmbeddedHttp> connections = new ArrayList<>();
  private AdminServer server;

  @AfterEach
  void closeConnections() {
    connections.forEach(EmbeddedHttp::close);
  }

  /** An unstarted server (no threads, no socket) whose pipeline the tests drive. */
  private void configure(UnaryOperator<AdminServer.Builder> settings) {
    server =
        settings
            .apply(
                AdminServer.builder()
                    .meterRegistry(registry)
                    .connectionDeadline(Duration.ofMillis(DEADLINE_MS)))
            .build();
  }

  private EmbeddedHttp connect() throws Exception {
    return connect(EmbeddedHttp.LOOPBACK);
  }

  private EmbeddedHttp connect(InetSocketAddress from) throws Exception {
    EmbeddedHttp connection = EmbeddedHttp.connect(server.channelInitializer(), from);
    connections.add(connection);
    return connection;
  }

  @Test
  void keepAliveServesSeveralRequestsOnOneConnection() throws Exception {
    configure(b -> b);
    EmbeddedHttp http = connect();

    assertThat(http.get("/health").status()).isEqualTo(200);
    assertThat(http.get("/metrics").body()).contains("sequencer_admin_requests_total");
    assertThat(http.get("/ready").body()).isEqualTo("ready\n");
    assertThat(http.isOpen()).isTrue();
  }

  @Test
  void oversizedHeadersGet400AndTheConnectionIsClosed() throws Exception {
    configure(b -> b.maxRequestBytes(512));
    EmbeddedHttp http = connect();
    FullHttpRequest request = get("/health");
    request.headers().set("X-Big", "a".repeat(1_000));

    EmbeddedHttp.Reply reply = http.exchange(request);

    assertThat(reply.status()).isEqualTo(400);
    assertThat(http.isOpen()).isFalse();
  }

  @Test
  void oversizedBodyGets413() throws Exception {
    configure(b -> b.maxRequestBytes(512));
    EmbeddedHttp http = connect();
    FullHttpRequest request =
        new DefaultFullHttpRequest(
            HttpVersion.HTTP_1_1,
            HttpMethod.POST,
            "/metrics",
            Unpooled.copiedBuffer("x".repeat(1_000), StandardCharsets.US_ASCII));
    request.headers().setInt("Content-Length", 1_000);

    assertThat(http.exchange(request).status()).isEqualTo(413);
  }

  @Test
  void deadlineClosesAConnectionThatSendsNothing() throws Exception {
    configure(b -> b);
    EmbeddedHttp http = connect();

    http.advanceMillis(DEADLINE_MS - 1);
    assertThat(http.isOpen()).isTrue();
    http.advanceMillis(1);

    assertThat(http.isOpen()).isFalse();
    assertThat(registry.get(AdminMeters.EXPIRED).counter().count()).isEqualTo(1);
    assertThat(server.openConnections()).isZero();
  }

  @Test
  void deadlineIsNotExtendedByAClientThatDribbles() throws Exception {
    configure(b -> b);
    EmbeddedHttp http = connect();

    http.sendRaw("GET /hea");
    http.advanceMillis(200);
    http.sendRaw("lth HTTP/1.1\r\nHost: x\r\n");
    http.advanceMillis(100);

    assertThat(http.isOpen()).isFalse();
    assertThat(http.response()).isNull();
  }

  @Test
  void deadlineRestartsAfterEachResponse() throws Exception {
    configure(b -> b);
    EmbeddedHttp http = connect();

    http.advanceMillis(250);
    assertThat(http.get("/health").status()).isEqualTo(200);
    http.advanceMillis(250);
    assertThat(http.isOpen()).isTrue();
    assertThat(http.get("/health").status()).isEqualTo(200);
    http.advanceMillis(DEADLINE_MS);

    assertThat(http.isOpen()).isFalse();
  }

  @Test
  void requestDeadlineClosesAConnectionThatSendsNothingBeforeTheExchangeDeadline()
      throws Exception {
    configure(b -> b.requestDeadline(Duration.ofMillis(100)));
    EmbeddedHttp http = connect();

    http.advanceMillis(99);
    assertThat(http.isOpen()).isTrue();
    http.advanceMillis(1);

    assertThat(http.isOpen()).isFalse();
    assertThat(registry.get(AdminMeters.EXPIRED).counter().count()).isEqualTo(1);
  }

  @Test
  void requestDeadlineClosesAnIdleKeepAliveConnectionAndRestartsAfterEachResponse()
      throws Exception {
    configure(b -> b.requestDeadline(Duration.ofMillis(100)));
    EmbeddedHttp http = connect();

    http.advanceMillis(90);
    assertThat(http.get("/health").status()).isEqualTo(200);
    http.advanceMillis(90);
    assertThat(http.isOpen()).isTrue();
    assertThat(http.get("/health").status()).isEqualTo(200);
    http.advanceMillis(100);

    assertThat(http.isOpen()).isFalse();
  }

  @Test
  void aConnectionOverTheCapEvictsTheOneThatHasWaitedLongestForARequest() throws Exception {
    configure(b -> b.maxConnections(2).connectionDeadline(Duration.ofHours(1)));
    EmbeddedHttp first = connect();
    first.sendRaw("GET /hea"); // half a request still counts as waiting
    EmbeddedHttp second = connect();
    // An answered keep-alive connection waits again, now as the newest.
    assertThat(first.isOpen()).isTrue();
    assertThat(second.get("/health").status()).isEqualTo(200);

    EmbeddedHttp third = connect();

    assertThat(first.isOpen()).isFalse();
    assertThat(second.isOpen()).isTrue();
    assertThat(third.isOpen()).isTrue();
    assertThat(third.get("/health").status()).isEqualTo(200);
    assertThat(registry.get(AdminMeters.EVICTED).counter().count()).isEqualTo(1);
    assertThat(rejected(AdminMeters.REASON_LIMIT)).isZero();
    assertThat(registry.get(AdminMeters.OPEN).gauge().value()).isEqualTo(2);

    EmbeddedHttp fourth = connect();

    assertThat(second.isOpen()).isFalse();
    assertThat(third.isOpen()).isTrue();
    assertThat(fourth.isOpen()).isTrue();
    assertThat(server.openConnections()).isEqualTo(2);
  }

  @Test
  void aConnectionOverTheCapIsRefusedWhenEveryConnectionIsInAnExchange() throws Exception {
    configure(b -> b.maxConnections(2).connectionDeadline(Duration.ofHours(1)));
    EmbeddedHttp first = connect();
    EmbeddedHttp second = connect();
    // As the deadline handler reports a complete request whose response is not yet written.
    ConnectionLimiter limiter = server.channelInitializer().limiter();
    limiter.requestReceived(first.server);
    limiter.requestReceived(second.server);

    EmbeddedHttp third = connect();

    assertThat(third.isOpen()).isFalse();
    assertThat(first.isOpen()).isTrue();
    assertThat(second.isOpen()).isTrue();
    assertThat(rejected(AdminMeters.REASON_LIMIT)).isEqualTo(1);
    assertThat(registry.get(AdminMeters.EVICTED).counter().count()).isZero();
    assertThat(registry.get(AdminMeters.OPEN).gauge().value()).isEqualTo(2);

    first.close();
    EmbeddedHttp fourth = connect();

    assertThat(fourth.isOpen()).isTrue();
    assertThat(fourth.get("/health").status()).isEqualTo(200);
    assertThat(server.openConnections()).isEqualTo(2);
    assertThat(limiter.waitingConnections()).isEqualTo(1);
  }

  @Test
  void allowListAdmitsOnlyItsRangesForIpv4AndIpv6() throws Exception {
    configure(b -> b.allowedClients(List.of("10.0.0.0/8", "2001:db8::/32")));

    EmbeddedHttp inside4 = connect(new InetSocketAddress("10.1.2.3", 50_000));
    EmbeddedHttp inside6 = connect(new InetSocketAddress("2001:db8::5", 50_000));
    EmbeddedHttp loopback4 = connect(new InetSocketAddress("127.0.0.1", 50_000));
    EmbeddedHttp loopback6 = connect(new InetSocketAddress("::1", 50_000));

    assertThat(inside4.get("/health").status()).isEqualTo(200);
    assertThat(inside6.get("/health").status()).isEqualTo(200);
    assertThat(loopback4.isOpen()).isFalse();
    assertThat(loopback6.isOpen()).isFalse();
    assertThat(rejected(AdminMeters.REASON_FORBIDDEN)).isEqualTo(2);
    assertThat(server.openConnections()).isEqualTo(2);
  }

  private double rejected(String reason) {
    return registry.get(AdminMeters.REJECTED).tag("reason", reason).counter().count();
  }

  private static FullHttpRequest get(String uri) {
    return new DefaultFullHttpRequest(
        HttpVersion.HTTP_1_1, HttpMethod.GET, uri, Unpooled.EMPTY_BUFFER);
  }
}
