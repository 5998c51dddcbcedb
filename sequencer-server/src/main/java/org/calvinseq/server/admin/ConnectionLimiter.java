package org.calvinseq.server.admin;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Caps the number of open connections without letting idle ones lock out probes. A connection is
 * <em>waiting</em> from the moment it opens, or its previous response has been written, until a
 * complete request has arrived; otherwise it is <em>busy</em>. A new connection over the cap closes
 * the connection that has been waiting longest (it is evicted) and takes its place; only when every
 * open connection is busy is the new one closed instead, as soon as it becomes active and before
 * anything is read from it.
 *
 * <p>So a client that opens many connections and sends nothing (or dribbles) cannot deny the
 * endpoint to a probe: the probe's connection is the newest and sends its request at once, and
 * within the {@link AdminServer}'s single event-loop thread at most a few connections are accepted
 * between its opening and the reading of its request, far fewer than the cap.
 *
 * <p>Shared by every child channel of one server; {@link ExchangeDeadlineHandler} reports when a
 * connection turns busy and waiting again.
 */
@Sharable
final class ConnectionLimiter extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectionLimiter.class);
  private static final AttributeKey<Boolean> COUNTED =
      AttributeKey.valueOf(ConnectionLimiter.class, "counted");

  private final int maxConnections;
  private final AtomicInteger open;
  private final AdminMeters meters;

  /** Counted connections waiting for a request, longest waiting first. Guarded by this. */
  private final LinkedHashSet<Channel> waiting = new LinkedHashSet<>();

  ConnectionLimiter(int maxConnections, AtomicInteger open, AdminMeters meters) {
    this.maxConnections = maxConnections;
    this.open = open;
    this.meters = meters;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    Channel channel = ctx.channel();
    Channel evicted = null;
    synchronized (this) {
      if (open.get() >= maxConnections) {
        Iterator<Channel> oldest = waiting.iterator();
        if (!oldest.hasNext()) {
          refuse(ctx);
          return;
        }
        evicted = oldest.next();
        oldest.remove();
        // It gives its slot back now, not when its close completes.
        evicted.attr(COUNTED).set(null);
        open.decrementAndGet();
      }
      open.incrementAndGet();
      channel.attr(COUNTED).set(Boolean.TRUE);
      waiting.add(channel);
    }
    if (evicted != null) {
      meters.evicted();
      LOG.debug(
          "Admin connection from {} closed: idle, its slot taken by a new connection",
          evicted.remoteAddress());
      evicted.close();
    }
    ctx.fireChannelActive();
  }

  private void refuse(ChannelHandlerContext ctx) {
    meters.rejectedOverLimit();
    LOG.debug(
        "Admin connection from {} refused: {} connections open, all busy",
        ctx.channel().remoteAddress(),
        maxConnections);
    ctx.close();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    Channel channel = ctx.channel();
    synchronized (this) {
      waiting.remove(channel);
      // Only channels that still hold a slot give it back; refused and evicted ones do not.
      if (channel.attr(COUNTED).getAndSet(null) != null) {
        open.decrementAndGet();
      }
    }
    ctx.fireChannelInactive();
  }

  /** A complete request has arrived on {@code channel}: it is busy until its response is out. */
  synchronized void requestReceived(Channel channel) {
    waiting.remove(channel);
  }

  /** {@code channel}'s response is written: it waits for a request again, as the newest. */
  synchronized void awaitingRequest(Channel channel) {
    if (channel.attr(COUNTED).get() != null && channel.isActive()) {
      waiting.remove(channel);
      waiting.add(channel);
    }
  }

  /** Connections waiting for a request, for tests. */
  synchronized int waitingConnections() {
    return waiting.size();
  }
}
