package org.calvinseq.server.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ipfilter.IpSubnetFilterRule;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin HTTP endpoint of a node: {@code GET /metrics} (Prometheus text 0.0.4, or OpenMetrics
 * 1.0.0 when the {@code Accept} header asks for it), {@code /health} (200 while the process is up),
 * {@code /ready} (named checks, 200 or 503) and {@code /status} (JSON). Unknown paths get 404,
 * other methods 405.
 *
 * <p>The server runs on its own thread (a daemon named {@code admin-http-N}) that accepts
 * connections and serves them; scrapes, probes and status snapshots run there, never on Raft
 * threads. Defenses against slow or numerous clients: a short deadline for each request to arrive
 * (2 s) and a longer one for each exchange (10 s), a cap on open connections (64) where a new
 * connection evicts the one that has waited longest for a request instead of being refused, an
 * optional client allow-list, and small request limits. See the package documentation for the
 * contract with probes.
 *
 * <pre>{@code
 * try (AdminServer admin = AdminServer.builder()
 *         .meterRegistry(registry)
 *         .port(9464)
 *         .readinessCheck("has-leader", node::hasLeader)
 *         .statusSource(node::status)
 *         .build()
 *         .start()) {
 *   ...
 * }
 * }</pre>
 */
public final class AdminServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);

  /** Loopback only unless configured: the endpoint is unauthenticated. */
  public static final String DEFAULT_HOST = "127.0.0.1";

  public static final int DEFAULT_MAX_CONNECTIONS = 64;
  public static final Duration DEFAULT_CONNECTION_DEADLINE = Duration.ofSeconds(10);
  public static final Duration DEFAULT_REQUEST_DEADLINE = Duration.ofSeconds(2);
  public static final int DEFAULT_MAX_REQUEST_BYTES = 8 * 1024;

  private static final int MIN_REQUEST_BYTES = 256;
  private static final int MAX_REQUEST_BYTES = 1024 * 1024;
  private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(2);

  /** Shared by every server in the JVM so that thread names stay unique (local-cluster runs 3). */
  private static final AtomicInteger THREAD_IDS = new AtomicInteger();

  private static final ThreadFactory THREADS =
      task -> {
        Thread thread =
            new FastThreadLocalThread(task, "admin-http-" + THREAD_IDS.incrementAndGet());
        thread.setDaemon(true);
        return thread;
      };

  private final String host;
  private final int requestedPort;
  private final AtomicInteger openConnections = new AtomicInteger();
  private final AdminChannelInitializer initializer;

  private EventLoopGroup loop;
  private Channel serverChannel;
  private InetSocketAddress boundAddress;
  private boolean started;
  private boolean closed;

  private AdminServer(Builder b) {
    this.host = b.host;
    this.requestedPort = b.port;
    AdminMeters meters = new AdminMeters(b.registry, openConnections);
    AdminRoutes routes = new AdminRoutes(b.registry, b.checks, b.statusSource, new ObjectMapper());
    ClientAllowList allowList =
        b.allowedClients.isEmpty() ? null : new ClientAllowList(b.allowedClients, meters);
    this.initializer =
        new AdminChannelInitializer(
            allowList,
            new ConnectionLimiter(b.maxConnections, openConnections, meters),
            new AdminHttpHandler(routes, meters),
            meters,
            b.requestDeadline.toNanos(),
            b.connectionDeadline.toNanos(),
            b.maxRequestBytes);
  }

  /**
   * A builder with the defaults: 127.0.0.1, an ephemeral port, 64 connections, 2 s per request, 10
   * s per exchange, 8 KiB.
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Binds the endpoint and starts serving.
   *
   * @return this server
   * @throws IOException if the address cannot be bound (the threads are released again)
   * @throws IllegalStateException if the server was already started or closed
   */
  public synchronized AdminServer start() throws IOException {
    if (started || closed) {
      throw new IllegalStateException(closed ? "admin server closed" : "admin server started");
    }
    started = true;
    // One thread accepts and serves: an accepted connection is registered at once, in the same
    // loop iteration, so a burst of new connections cannot push a probe's request back by more
    // than one batch of accepts (16), which the eviction order in ConnectionLimiter relies on.
    loop = new NioEventLoopGroup(1, THREADS);
    ChannelFuture bind =
        new ServerBootstrap()
            .group(loop)
            .channel(NioServerSocketChannel.class)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(initializer)
            .bind(host, requestedPort)
            .awaitUninterruptibly();
    if (!bind.isSuccess()) {
      shutDownEventLoops();
      Throwable cause = bind.cause();
      if (cause instanceof IOException io) {
        throw io;
      }
      throw new IOException("cannot bind admin endpoint to " + host + ":" + requestedPort, cause);
    }
    serverChannel = bind.channel();
    boundAddress = (InetSocketAddress) serverChannel.localAddress();
    LOG.info("Admin endpoint listening on http://{}:{}", host, boundAddress.getPort());
    return this;
  }

  /** The bound port (the ephemeral one when the builder asked for port 0). */
  public synchronized int port() {
    return address().getPort();
  }

  /** The bound address. */
  public synchronized InetSocketAddress address() {
    if (boundAddress == null) {
      throw new IllegalStateException("admin server not started");
    }
    return boundAddress;
  }

  /** Connections accepted and not yet closed (refused ones are not counted). */
  int openConnections() {
    return openConnections.get();
  }

  /** The per-connection pipeline, for tests that drive it through an {@code EmbeddedChannel}. */
  AdminChannelInitializer channelInitializer() {
    return initializer;
  }

  /**
   * Stops accepting, closes every connection and stops the thread, waiting up to about two seconds.
   * Idempotent.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (serverChannel != null) {
      serverChannel.close().awaitUninterruptibly(SHUTDOWN_TIMEOUT.toMillis());
    }
    if (loop != null) {
      shutDownEventLoops();
      LOG.info("Admin endpoint on port {} closed", boundAddress == null ? requestedPort : port());
    }
  }

  private void shutDownEventLoops() {
    long timeoutMs = SHUTDOWN_TIMEOUT.toMillis();
    // Quiet period 0: nothing submitted during shutdown matters, and close() should be quick.
    Future<?> done = loop.shutdownGracefully(0, timeoutMs, TimeUnit.MILLISECONDS);
    long waitMs = timeoutMs + 1_000;
    if (!done.awaitUninterruptibly(waitMs)) {
      LOG.warn("Admin endpoint threads did not stop within {} ms", waitMs);
    }
  }

  /** Configures an {@link AdminServer}; every setter checks its argument at once. */
  public static final class Builder {
    private PrometheusMeterRegistry registry;
    private String host = DEFAULT_HOST;
    private int port;
    private StatusSource statusSource = Map::of;
    private final List<ReadinessCheck> checks = new ArrayList<>();
    private int maxConnections = DEFAULT_MAX_CONNECTIONS;
    private Duration connectionDeadline = DEFAULT_CONNECTION_DEADLINE;
    private Duration requestDeadline = DEFAULT_REQUEST_DEADLINE;
    private int maxRequestBytes = DEFAULT_MAX_REQUEST_BYTES;
    private final List<IpSubnetFilterRule> allowedClients = new ArrayList<>();

    private Builder() {}

    /** The registry scraped by {@code /metrics}; the endpoint's own meters go there too. */
    public Builder meterRegistry(PrometheusMeterRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "registry");
      return this;
    }

    /** The address to bind; default {@value AdminServer#DEFAULT_HOST}. */
    public Builder host(String host) {
      Objects.requireNonNull(host, "host");
      if (host.isBlank()) {
        throw new IllegalArgumentException("host must not be blank");
      }
      this.host = host;
      return this;
    }

    /** The port to bind; 0 (the default) picks an ephemeral port, see {@link #port()}. */
    public Builder port(int port) {
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException("port must be 0..65535: " + port);
      }
      this.port = port;
      return this;
    }

    /** What {@code /status} serializes; default an empty object. */
    public Builder statusSource(StatusSource statusSource) {
      this.statusSource = Objects.requireNonNull(statusSource, "statusSource");
      return this;
    }

    /** Adds a check to {@code /ready}; names must be unique. */
    public Builder readinessCheck(ReadinessCheck check) {
      checks.add(Objects.requireNonNull(check, "check"));
      return this;
    }

    /** Adds a check that passes while {@code condition} is true. */
    public Builder readinessCheck(String name, BooleanSupplier condition) {
      return readinessCheck(ReadinessCheck.of(name, condition));
    }

    /** Adds several checks, in order. */
    public Builder readinessChecks(List<ReadinessCheck> more) {
      more.forEach(this::readinessCheck);
      return this;
    }

    /**
     * Connections allowed open at once; default 64. A connection over the cap closes the one that
     * has waited longest for a request (idle, or still sending one) and takes its place; it is
     * closed on accept only when every open connection is in the middle of an exchange.
     */
    public Builder maxConnections(int maxConnections) {
      if (maxConnections < 1) {
        throw new IllegalArgumentException("maxConnections must be positive: " + maxConnections);
      }
      this.maxConnections = maxConnections;
      return this;
    }

    /**
     * How long a connection may take to deliver a request and read the response, counted from the
     * connection's opening or the end of its previous response; default 10 s. The shorter {@link
     * #requestDeadline} applies to the request's part of it.
     */
    public Builder connectionDeadline(Duration deadline) {
      Objects.requireNonNull(deadline, "deadline");
      if (deadline.isNegative() || deadline.isZero()) {
        throw new IllegalArgumentException("connectionDeadline must be positive: " + deadline);
      }
      this.connectionDeadline = deadline;
      return this;
    }

    /**
     * How long a connection may take to deliver a complete request, counted from the connection's
     * opening or the end of its previous response; default 2 s. It closes connections that send
     * nothing, or too slowly, and idle keep-alive connections. A value not below {@link
     * #connectionDeadline} leaves only that deadline.
     */
    public Builder requestDeadline(Duration deadline) {
      Objects.requireNonNull(deadline, "deadline");
      if (deadline.isNegative() || deadline.isZero()) {
        throw new IllegalArgumentException("requestDeadline must be positive: " + deadline);
      }
      this.requestDeadline = deadline;
      return this;
    }

    /**
     * The bound on each of the request line, the headers and the body; default 8 KiB. Larger
     * requests get 400 (line, headers) or 413 (body).
     */
    public Builder maxRequestBytes(int maxRequestBytes) {
      if (maxRequestBytes < MIN_REQUEST_BYTES || maxRequestBytes > MAX_REQUEST_BYTES) {
        throw new IllegalArgumentException(
            "maxRequestBytes must be "
                + MIN_REQUEST_BYTES
                + ".."
                + MAX_REQUEST_BYTES
                + ": "
                + maxRequestBytes);
      }
      this.maxRequestBytes = maxRequestBytes;
      return this;
    }

    /**
     * Admits only clients in the given ranges ({@code 10.0.0.0/8}, {@code fd00::/8}, or a bare
     * address for one host); replaces earlier ranges. Empty (the default) admits every client.
     *
     * @throws IllegalArgumentException if a range is not a literal address with a valid prefix
     */
    public Builder allowedClients(List<String> cidrs) {
      List<IpSubnetFilterRule> parsed = new ArrayList<>();
      for (String cidr : cidrs) {
        parsed.add(ClientAllowList.parse(Objects.requireNonNull(cidr, "cidr")));
      }
      allowedClients.clear();
      allowedClients.addAll(parsed);
      return this;
    }

    /** Adds one range to the allow-list, see {@link #allowedClients(List)}. */
    public Builder allowClient(String cidr) {
      allowedClients.add(ClientAllowList.parse(Objects.requireNonNull(cidr, "cidr")));
      return this;
    }

    /**
     * Builds an unstarted server; it holds no threads or sockets until {@link AdminServer#start()}.
     *
     * @throws IllegalStateException if no registry was given or two checks share a name
     */
    public AdminServer build() {
      if (registry == null) {
        throw new IllegalStateException("meterRegistry is required");
      }
      Set<String> names = new HashSet<>();
      for (ReadinessCheck check : checks) {
        if (!names.add(check.name())) {
          throw new IllegalStateException("duplicate readiness check: " + check.name());
        }
      }
      return new AdminServer(this);
    }
  }
}
