package org.calvinseq.server.admin;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns an aggregated request into a call on {@link AdminRoutes} and writes the answer, keeping the
 * connection open when the client asked for keep-alive. Stateless, so one instance serves every
 * channel.
 */
@Sharable
final class AdminHttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final Logger LOG = LoggerFactory.getLogger(AdminHttpHandler.class);

  private final AdminRoutes routes;
  private final AdminMeters meters;

  AdminHttpHandler(AdminRoutes routes, AdminMeters meters) {
    this.routes = routes;
    this.meters = meters;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    AdminResponse answer;
    if (!request.decoderResult().isSuccess()) {
      // The decoder discards everything after a malformed request, so the connection is done.
      keepAlive = false;
      answer = AdminResponse.text(AdminRoutes.ROUTE_INVALID, 400, "bad request\n");
    } else {
      answer = answer(request);
    }
    meters.request(answer.route(), answer.status());

    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            HttpResponseStatus.valueOf(answer.status()),
            Unpooled.wrappedBuffer(answer.body()));
    HttpHeaders headers = response.headers();
    headers.set(HttpHeaderNames.CONTENT_TYPE, answer.contentType());
    headers.setInt(HttpHeaderNames.CONTENT_LENGTH, answer.body().length);
    headers.set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
    if (answer.status() == 405) {
      headers.set(HttpHeaderNames.ALLOW, "GET");
    }
    if (keepAlive) {
      if (!request.protocolVersion().isKeepAliveDefault()) {
        headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
      }
      ctx.writeAndFlush(response);
    } else {
      headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
  }

  private AdminResponse answer(FullHttpRequest request) {
    String path;
    try {
      path = new QueryStringDecoder(request.uri()).path();
    } catch (IllegalArgumentException e) {
      return AdminResponse.text(AdminRoutes.ROUTE_INVALID, 400, "bad request\n");
    }
    return routes.handle(
        request.method().name(), path, request.headers().get(HttpHeaderNames.ACCEPT));
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    LOG.debug("Admin connection from {} failed", ctx.channel().remoteAddress(), cause);
    ctx.close();
  }
}
