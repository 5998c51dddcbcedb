package org.calvinseq.server.admin;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * One admin connection driven in memory: the server side is an {@link EmbeddedChannel} carrying the
 * real pipeline (with a chosen remote address and a frozen clock), the client side an {@link
 * EmbeddedChannel} with Netty's HTTP client codec; bytes are pumped between them by hand.
 */
final class EmbeddedHttp {
  static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 40_000);

  final ServerSide server;
  private final EmbeddedChannel client =
      new EmbeddedChannel(new HttpClientCodec(), new HttpObjectAggregator(1 << 20));

  private EmbeddedHttp(ServerSide server) {
    this.server = server;
  }

  /** Opens a connection from {@link #LOOPBACK}. */
  static EmbeddedHttp connect(ChannelHandler initializer) throws Exception {
    return connect(initializer, LOOPBACK);
  }

  /** Opens a connection from {@code remote}; the server clock is frozen from the start. */
  static EmbeddedHttp connect(ChannelHandler initializer, SocketAddress remote) throws Exception {
    ServerSide server = new ServerSide(remote, initializer);
    server.freezeTime();
    server.register();
    return new EmbeddedHttp(server);
  }

  /** Sends {@code GET path} over HTTP/1.1 and returns the response. */
  Reply get(String path) {
    return exchange(
        new DefaultFullHttpRequest(
            HttpVersion.HTTP_1_1, HttpMethod.GET, path, Unpooled.EMPTY_BUFFER));
  }

  Reply exchange(FullHttpRequest request) {
    client.writeOutbound(request);
    ByteBuf bytes;
    while ((bytes = client.readOutbound()) != null) {
      server.writeInbound(bytes);
    }
    return response();
  }

  /** Feeds raw bytes to the server, as a client writing by hand would. */
  void sendRaw(String text) {
    server.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
  }

  /** The next complete response the server wrote, or null if there is none. */
  Reply response() {
    ByteBuf bytes;
    while ((bytes = server.readOutbound()) != null) {
      client.writeInbound(bytes);
    }
    FullHttpResponse response = client.readInbound();
    if (response == null) {
      return null;
    }
    try {
      return new Reply(
          response.status().code(),
          response.headers().copy(),
          response.content().toString(StandardCharsets.UTF_8));
    } finally {
      response.release();
    }
  }

  /** Moves the frozen server clock and runs what became due. */
  void advanceMillis(long millis) {
    server.advanceTimeBy(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
    server.runScheduledPendingTasks();
    server.runPendingTasks();
  }

  boolean isOpen() {
    return server.isOpen();
  }

  void close() {
    server.finishAndReleaseAll();
    client.finishAndReleaseAll();
  }

  record Reply(int status, HttpHeaders headers, String body) {}

  /** An embedded channel that reports a real remote address, so the allow-list can judge it. */
  static final class ServerSide extends EmbeddedChannel {
    private final SocketAddress remote;

    ServerSide(SocketAddress remote, ChannelHandler initializer) {
      super(false, false, initializer);
      this.remote = remote;
    }

    @Override
    protected SocketAddress remoteAddress0() {
      return remote;
    }
  }
}
