package org.calvinseq.server.admin;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Caps the number of open connections: one over the cap is closed as soon as it becomes active,
 * before anything is read from it. Shared by every child channel of one server.
 */
@Sharable
final class ConnectionLimiter extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectionLimiter.class);
  private static final AttributeKey<Boolean> COUNTED =
      AttributeKey.valueOf(ConnectionLimiter.class, "counted");

  private final int maxConnections;
  private final AtomicInteger open;
  private final AdminMeters meters;

  ConnectionLimiter(int maxConnections, AtomicInteger open, AdminMeters meters) {
    this.maxConnections = maxConnections;
    this.open = open;
    this.meters = meters;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    if (open.incrementAndGet() > maxConnections) {
      open.decrementAndGet();
      meters.rejectedOverLimit();
      LOG.debug(
          "Admin connection from {} refused: {} connections open",
          ctx.channel().remoteAddress(),
          maxConnections);
      ctx.close();
      return;
    }
    ctx.channel().attr(COUNTED).set(Boolean.TRUE);
    ctx.fireChannelActive();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    // Only channels that were counted give their slot back; refused ones never took one.
    if (ctx.channel().attr(COUNTED).getAndSet(null) != null) {
      open.decrementAndGet();
    }
    ctx.fireChannelInactive();
  }
}
