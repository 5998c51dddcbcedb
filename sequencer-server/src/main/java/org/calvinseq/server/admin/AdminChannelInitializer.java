package org.calvinseq.server.admin;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;

/**
 * Builds the pipeline of one admin connection. Cheap refusals come first (allow-list, then the
 * cap), so a refused connection never gets an HTTP codec.
 */
final class AdminChannelInitializer extends ChannelInitializer<Channel> {
  private final ClientAllowList allowList; // null: every client may connect
  private final ConnectionLimiter limiter;
  private final AdminHttpHandler handler;
  private final AdminMeters meters;
  private final long requestDeadlineNanos;
  private final long exchangeDeadlineNanos;
  private final int maxRequestBytes;

  AdminChannelInitializer(
      ClientAllowList allowList,
      ConnectionLimiter limiter,
      AdminHttpHandler handler,
      AdminMeters meters,
      long requestDeadlineNanos,
      long exchangeDeadlineNanos,
      int maxRequestBytes) {
    this.allowList = allowList;
    this.limiter = limiter;
    this.handler = handler;
    this.meters = meters;
    this.requestDeadlineNanos = requestDeadlineNanos;
    this.exchangeDeadlineNanos = exchangeDeadlineNanos;
    this.maxRequestBytes = maxRequestBytes;
  }

  /** The limiter shared by every connection, for tests. */
  ConnectionLimiter limiter() {
    return limiter;
  }

  @Override
  protected void initChannel(Channel ch) {
    ChannelPipeline pipeline = ch.pipeline();
    if (allowList != null) {
      pipeline.addLast("allow-list", allowList);
    }
    pipeline.addLast("limiter", limiter);
    // The request line, the headers and the body are each bounded by maxRequestBytes.
    pipeline.addLast(
        "codec", new HttpServerCodec(maxRequestBytes, maxRequestBytes, maxRequestBytes));
    pipeline.addLast(
        "deadline",
        new ExchangeDeadlineHandler(requestDeadlineNanos, exchangeDeadlineNanos, limiter, meters));
    pipeline.addLast("aggregator", new HttpObjectAggregator(maxRequestBytes));
    pipeline.addLast("handler", handler);
  }
}
