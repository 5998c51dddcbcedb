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
 * Closes a connection whose current exchange misses one of two deadlines, both counted from the
 * connection's opening or the end of its previous response:
 *
 * <ul>
 *   <li>the <em>request deadline</em> (short): the complete request must have arrived by then, so a
 *       connection that sends nothing, or dribbles, or sits idle after a keep-alive response, holds
 *       its slot only briefly;
 *   <li>the <em>exchange deadline</em>: the response must have been written in full by then, which
 *       also catches a client that never reads its response.
 * </ul>
 *
 * <p>Netty's {@code ReadTimeoutHandler} and {@code IdleStateHandler} reset on every read; a client
 * that sends one byte at a time would hold the connection forever. These deadlines do not move
 * until a whole request, or a whole exchange, is done.
 *
 * <p>It also tells the {@link ConnectionLimiter} when the connection turns busy (request complete)
 * and waiting again (response written). It sits after the HTTP codec so that it sees requests and
 * responses as {@link LastHttpContent}; one instance per channel, touched only on that channel's
 * event loop.
 */
final class ExchangeDeadlineHandler extends ChannelDuplexHandler {
  private static final Logger LOG = LoggerFactory.getLogger(ExchangeDeadlineHandler.class);

  private final long requestDeadlineNanos;
  private final long exchangeDeadlineNanos;
  private final ConnectionLimiter limiter;
  private final AdminMeters meters;
  private ScheduledFuture<?> requestTimer;
  private ScheduledFuture<?> exchangeTimer;
  private boolean awaitingRequest;

  ExchangeDeadlineHandler(
      long requestDeadlineNanos,
      long exchangeDeadlineNanos,
      ConnectionLimiter limiter,
      AdminMeters meters) {
    this.requestDeadlineNanos = requestDeadlineNanos;
    this.exchangeDeadlineNanos = exchangeDeadlineNanos;
    this.limiter = limiter;
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
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof LastHttpContent && awaitingRequest) {
      awaitingRequest = false;
      if (requestTimer != null) {
        requestTimer.cancel(false);
        requestTimer = null;
      }
      limiter.requestReceived(ctx.channel());
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof LastHttpContent) {
      ChannelPromise unvoid = promise.unvoid();
      unvoid.addListener(
          written -> {
            if (written.isSuccess() && ctx.channel().isOpen()) {
              arm(ctx);
              limiter.awaitingRequest(ctx.channel());
            }
          });
      ctx.write(msg, unvoid);
    } else {
      ctx.write(msg, promise);
    }
  }

  /** Starts a new exchange. */
  private void arm(ChannelHandlerContext ctx) {
    cancel();
    awaitingRequest = true;
    if (requestDeadlineNanos < exchangeDeadlineNanos) {
      requestTimer =
          ctx.executor()
              .schedule(
                  () -> expire(ctx, "request", requestDeadlineNanos),
                  requestDeadlineNanos,
                  TimeUnit.NANOSECONDS);
    }
    exchangeTimer =
        ctx.executor()
            .schedule(
                () -> expire(ctx, "exchange", exchangeDeadlineNanos),
                exchangeDeadlineNanos,
                TimeUnit.NANOSECONDS);
  }

  private void expire(ChannelHandlerContext ctx, String what, long deadlineNanos) {
    cancel();
    if (ctx.channel().isOpen()) {
      meters.deadlineExpired();
      LOG.debug(
          "Admin connection from {} closed: {} not done within {} ms",
          ctx.channel().remoteAddress(),
          what,
          TimeUnit.NANOSECONDS.toMillis(deadlineNanos));
      ctx.close();
    }
  }

  private void cancel() {
    if (requestTimer != null) {
      requestTimer.cancel(false);
      requestTimer = null;
    }
    if (exchangeTimer != null) {
      exchangeTimer.cancel(false);
      exchangeTimer = null;
    }
  }
}
