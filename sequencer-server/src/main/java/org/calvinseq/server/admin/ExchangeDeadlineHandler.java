package org.calvinseq.server.admin;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a connection whose current exchange (waiting for a request, then writing its response) has
 * not finished within the deadline. The clock starts when the connection opens and restarts when a
 * response has been written in full, so an idle keep-alive connection is closed after one deadline
 * too.
 *
 * <p>Netty's {@code ReadTimeoutHandler} and {@code IdleStateHandler} reset on every read; a client
 * that sends one byte at a time would hold the connection forever. This deadline does not move
 * until a whole exchange is done, and it also catches a client that never reads its response.
 *
 * <p>It sits after the HTTP codec so that it sees responses as {@link LastHttpContent}; one
 * instance per channel, touched only on that channel's event loop.
 */
final class ExchangeDeadlineHandler extends ChannelDuplexHandler {
  private static final Logger LOG = LoggerFactory.getLogger(ExchangeDeadlineHandler.class);

  private final long deadlineNanos;
  private final AdminMeters meters;
  private ScheduledFuture<?> timer;

  ExchangeDeadlineHandler(long deadlineNanos, AdminMeters meters) {
    this.deadlineNanos = deadlineNanos;
    this.meters = meters;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    if (ctx.channel().isActive() && ctx.channel().isRegistered()) {
      arm(ctx);
    }
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    cancel();
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    arm(ctx);
    ctx.fireChannelActive();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    cancel();
    ctx.fireChannelInactive();
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof LastHttpContent) {
      ChannelPromise unvoid = promise.unvoid();
      unvoid.addListener(
          written -> {
            if (written.isSuccess()) {
              arm(ctx);
            }
          });
      ctx.write(msg, unvoid);
    } else {
      ctx.write(msg, promise);
    }
  }

  private void arm(ChannelHandlerContext ctx) {
    cancel();
    timer = ctx.executor().schedule(() -> expire(ctx), deadlineNanos, TimeUnit.NANOSECONDS);
  }

  private void expire(ChannelHandlerContext ctx) {
    timer = null;
    if (ctx.channel().isOpen()) {
      meters.deadlineExpired();
      LOG.debug(
          "Admin connection from {} closed: exchange not done within {} ms",
          ctx.channel().remoteAddress(),
          TimeUnit.NANOSECONDS.toMillis(deadlineNanos));
      ctx.close();
    }
  }

  private void cancel() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }
}
