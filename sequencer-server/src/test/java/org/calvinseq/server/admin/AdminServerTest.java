package org.calvinseq.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The real server on an ephemeral loopback port, with the JDK's HTTP client and raw sockets. */
class AdminServerTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final HttpClient client =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(TIMEOUT).build();
  private final List<AutoCloseable> resources = new ArrayList<>();

  @AfterEach
  void closeEverything() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  private AdminServer start(UnaryOperator<AdminServer.Builder> settings) throws IOException {
    AdminServer server =
        settings.apply(AdminServer.builder().meterRegistry(registry)).build().start();
    resources.add(server);
    return server;
  }

  @Test
  void servesEveryRouteOnTheAdminThread() throws Exception {
    AtomicReference<String> scrapeThread = new AtomicReference<>();
    Gauge.builder(
            "sequencer.test.probe",
            () -> {
              scrapeThread.set(Thread.currentThread().getName());
              return 1;
            })
        .register(registry);
    AdminServer server =
        start(
            b ->
                b.readinessCheck("has-leader", () -> true)
                    .statusSource(() -> Map.of("nodeId", "n1")));

    HttpResponse<String> metrics = get(server, "/metrics", null);
    HttpResponse<String> openMetrics =
        get(server, "/metrics", "application/openmetrics-text;version=1.0.0");

    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.headers().firstValue("content-type"))
        .hasValue("text/plain; version=0.0.4; charset=utf-8");
    assertThat(metrics.body()).contains("sequencer_test_probe 1.0");
    assertThat(openMetrics.headers().firstValue("content-type"))
        .hasValue("application/openmetrics-text; version=1.0.0; charset=utf-8");
    assertThat(openMetrics.body()).endsWith("# EOF\n");
    assertThat(scrapeThread.get()).startsWith("admin-http-");
    assertThat(get(server, "/health", null).body()).isEqualTo("ok\n");
    assertThat(get(server, "/ready", null).body()).isEqualTo("[+]has-leader ok\nready\n");
    assertThat(get(server, "/status", null).body()).isEqualTo("{\"nodeId\":\"n1\"}");
    assertThat(get(server, "/missing", null).statusCode()).isEqualTo(404);
    assertThat(server.address().getAddress().getHostAddress()).isEqualTo("127.0.0.1");
  }

  @Test
  void readyReports503WhileACheckFails() throws Exception {
    boolean[] leader = {false};
    BooleanSupplier hasLeader = () -> leader[0];
    AdminServer server = start(b -> b.readinessCheck("has-leader", hasLeader));

    HttpResponse<String> before = get(server, "/ready", null);
    leader[0] = true;
    HttpResponse<String> after = get(server, "/ready", null);

    assertThat(before.statusCode()).isEqualTo(503);
    assertThat(before.body()).isEqualTo("[-]has-leader failed: condition false\nnot ready\n");
    assertThat(after.statusCode()).isEqualTo(200);
  }

  @Test
  void aClientThatSendsNothingIsDisconnectedAfterTheDeadline() throws Exception {
    AdminServer server = start(b -> b.connectionDeadline(Duration.ofMillis(300)));
    Socket socket = connect(server);

    long startNanos = System.nanoTime();
    boolean closed = closedByServer(socket);
    long elapsedMs = (System.nanoTime() - startNanos) / 1_000_000;

    assertThat(closed).isTrue();
    assertThat(elapsedMs).isBetween(200L, 3_000L);
    awaitTrue(() -> registry.get(AdminMeters.EXPIRED).counter().count() == 1);
  }

  @Test
  void aClientThatDribblesBytesIsDisconnectedAfterTheDeadline() throws Exception {
    AdminServer server = start(b -> b.connectionDeadline(Duration.ofMillis(300)));
    Socket socket = connect(server);
    OutputStream out = socket.getOutputStream();

    long startNanos = System.nanoTime();
    boolean cut = false;
    try {
      // One byte every 50 ms would reset a read-idle timer forever; the deadline does not move.
      for (byte b :
          "GET /metrics HTTP/1.1\r\nHost: localhost\r\n".getBytes(StandardCharsets.US_ASCII)) {
        out.write(b);
        out.flush();
        Thread.sleep(50);
      }
    } catch (IOException e) {
      cut = true; // the server had closed the socket: expected
    }
    long elapsedMs = (System.nanoTime() - startNanos) / 1_000_000;

    assertThat(cut || closedByServer(socket)).isTrue();
    assertThat(elapsedMs).isLessThan(2_500L);
  }

  @Test
  void aConnectionOverTheCapEvictsTheIdleConnectionThatWaitedLongest() throws Exception {
    AdminServer server =
        start(b -> b.maxConnections(2).requestDeadline(TIMEOUT).connectionDeadline(TIMEOUT));
    Socket first = connect(server);
    awaitTrue(() -> server.openConnections() == 1);
    Socket second = connect(server);
    awaitTrue(() -> server.openConnections() == 2);

    long startNanos = System.nanoTime();
    HttpResponse<String> scrape = get(server, "/metrics", null);
    boolean firstClosed = closedByServer(first);
    long elapsedMs = (System.nanoTime() - startNanos) / 1_000_000;

    assertThat(scrape.statusCode()).isEqualTo(200);
    assertThat(scrape.body()).contains("sequencer_admin_connections_evicted_total");
    assertThat(firstClosed).isTrue();
    assertThat(elapsedMs).isLessThan(TIMEOUT.toMillis() / 2); // not by a deadline
    assertThat(registry.get(AdminMeters.EVICTED).counter().count()).isGreaterThanOrEqualTo(1);
    assertThat(registry.get(AdminMeters.REJECTED).tag("reason", "limit").counter().count())
        .isZero();
    second.setSoTimeout(100);
    assertThat(closedByServer(second)).isFalse(); // still open: it was the newer one
  }

  @Test
  void aClientOutsideTheAllowListIsRefused() throws Exception {
    AdminServer server = start(b -> b.allowedClients(List.of("10.0.0.0/8", "fd00::/8")));

    assertThatThrownBy(() -> get(server, "/health", null)).isInstanceOf(IOException.class);
    // At least once: the JDK client retries an idempotent request once on a closed connection.
    awaitTrue(
        () -> registry.get(AdminMeters.REJECTED).tag("reason", "forbidden").counter().count() >= 1);
    assertThat(server.openConnections()).isZero();
  }

  @Test
  void aClientInsideTheAllowListIsServed() throws Exception {
    AdminServer server = start(b -> b.allowClient("127.0.0.0/8"));

    assertThat(get(server, "/health", null).statusCode()).isEqualTo(200);
  }

  @Test
  void closeReleasesThePortQuickly() throws Exception {
    AdminServer server = start(b -> b);
    int port = server.port();
    Socket idle = connect(server); // an open connection must not delay shutdown

    long startNanos = System.nanoTime();
    server.close();
    long elapsedMs = (System.nanoTime() - startNanos) / 1_000_000;

    assertThat(elapsedMs).isLessThan(2_500L);
    assertThat(closedByServer(idle)).isTrue();
    assertThatThrownBy(() -> new Socket("127.0.0.1", port).close())
        .isInstanceOf(ConnectException.class);
    server.close(); // idempotent
  }

  @Test
  void aPortInUseFailsStartWithAnIoException() throws Exception {
    AdminServer first = start(b -> b);

    AdminServer second =
        AdminServer.builder()
            .meterRegistry(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))
            .port(first.port())
            .build();
    resources.add(second);

    assertThatThrownBy(second::start).isInstanceOf(IOException.class);
  }

  private HttpResponse<String> get(AdminServer server, String path, String accept)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
            .timeout(TIMEOUT);
    if (accept != null) {
      request.header("Accept", accept);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private Socket connect(AdminServer server) throws IOException {
    Socket socket = new Socket();
    resources.add(socket);
    socket.connect(new InetSocketAddress("127.0.0.1", server.port()), (int) TIMEOUT.toMillis());
    socket.setSoTimeout((int) TIMEOUT.toMillis());
    return socket;
  }

  /** Blocks until the server closes {@code socket} (true) or the read times out (false). */
  private static boolean closedByServer(Socket socket) throws IOException {
    InputStream in = socket.getInputStream();
    try {
      return in.read() == -1;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset by the server
    }
  }

  private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition not met in %s", TIMEOUT).isLessThan(deadline);
      Thread.sleep(10);
    }
  }
}
