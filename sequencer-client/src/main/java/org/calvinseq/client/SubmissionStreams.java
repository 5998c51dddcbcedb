package org.calvinseq.client;

import java.io.IOException;
import java.net.ConnectException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.thirdparty.io.grpc.CallOptions;
import org.apache.ratis.thirdparty.io.grpc.ManagedChannel;
import org.apache.ratis.thirdparty.io.grpc.Status;
import org.apache.ratis.thirdparty.io.grpc.netty.GrpcSslContexts;
import org.apache.ratis.thirdparty.io.grpc.netty.NettyChannelBuilder;
import org.apache.ratis.thirdparty.io.grpc.stub.ClientCalls;
import org.apache.ratis.thirdparty.io.grpc.stub.StreamObserver;
import org.apache.ratis.thirdparty.io.netty.handler.ssl.SslContext;
import org.apache.ratis.thirdparty.io.netty.handler.ssl.SslContextBuilder;
import org.calvinseq.core.codec.CodecException;
import org.calvinseq.core.protocol.Protocol;
import org.calvinseq.core.protocol.SubmissionStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's submission streams (docs/wire-format.md, section 14b): one gRPC channel per peer,
 * opened when first used, and on it one long-lived bidirectional call that carries every submission
 * this client sends there and their answers, matched by request id. Submissions go to the peer the
 * client takes for the leader; a {@code NOT_LEADER} answer names the leader, which the next attempt
 * goes to. A call that fails (the connection breaks, the node restarts) fails the submissions
 * waiting on it as {@link Lost}, whose outcome is unknown, and the next submission opens a new
 * call; one unanswered past the request timeout fails the same way and ends its call.
 */
final class SubmissionStreams implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SubmissionStreams.class);

  /**
   * No answer came. When {@link #maybeSent} the submission may or may not have been sequenced;
   * otherwise it never left this client (the node refused the connection).
   */
  static final class Lost extends RuntimeException {
    final boolean maybeSent;

    Lost(RaftPeerId peer, String why, Throwable cause, boolean maybeSent) {
      super("no answer from " + peer + ": " + why, cause);
      this.maybeSent = maybeSent;
    }
  }

  private record Waiting(CompletableFuture<Protocol.SubmitReply> answer, long sentNanos) {}

  private final List<Target> targets = new ArrayList<>();
  private final PeerHealth health;
  private final SslContext ssl;
  private final long requestTimeoutNanos;
  private final AtomicLong requestIds = new AtomicLong();
  private final ScheduledFuture<?> sweeper;
  private volatile Target leader;
  private volatile boolean closed;

  SubmissionStreams(
      List<RaftPeer> peers,
      TlsFiles tls,
      long requestTimeoutNanos,
      PeerHealth health,
      ScheduledExecutorService timer) {
    for (RaftPeer p : peers) {
      String address = p.getClientAddress() != null ? p.getClientAddress() : p.getAddress();
      targets.add(new Target(p.getId(), address));
    }
    this.health = health;
    this.ssl = tls == null ? null : sslContext(tls);
    this.requestTimeoutNanos = requestTimeoutNanos;
    this.leader = targets.get(0);
    long every = Math.max(10, TimeUnit.NANOSECONDS.toMillis(requestTimeoutNanos) / 10);
    this.sweeper =
        timer.scheduleWithFixedDelay(this::expireOverdue, every, every, TimeUnit.MILLISECONDS);
  }

  private static SslContext sslContext(TlsFiles tls) {
    try {
      return GrpcSslContexts.configure(
              SslContextBuilder.forClient()
                  .trustManager(tls.trustedCa().toFile())
                  .keyManager(tls.certChain().toFile(), tls.privateKey().toFile()))
          .build();
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("cannot use the TLS files " + tls + ": " + e, e);
    }
  }

  /**
   * Sends {@code batchEntry} (a batch entry without an epoch) to the peer taken for the leader.
   * Completes with its answer, or exceptionally with {@link Lost}.
   */
  CompletableFuture<Protocol.SubmitReply> submit(byte[] batchEntry) {
    long id = requestIds.incrementAndGet();
    byte[] message = SubmissionStream.submission(id, batchEntry);
    CompletableFuture<Protocol.SubmitReply> answer = new CompletableFuture<>();
    Call call = closed ? null : leader.call();
    if (call == null) {
      answer.completeExceptionally(new IllegalStateException("client closed"));
      return answer;
    }
    call.send(id, message, answer);
    return answer;
  }

  /** Follows an answer: a {@code NOT_LEADER} refusal moves the next submissions to its leader. */
  private void answered(Target from, Protocol.SubmitReply r) {
    if (!(r instanceof Protocol.SubmitRefused f) || !"NOT_LEADER".equals(f.reason())) {
      return;
    }
    Target named = f.leader() == null ? null : find(f.leader());
    if (named != null && named != from) {
      health.suggested(named.id);
      leader = named;
    } else if (leader == from) {
      leader = next(from);
    }
  }

  private void failed(Target from, Throwable cause) {
    health.failure(from.id, cause);
    if (leader == from) {
      leader = next(from);
    }
  }

  private Target find(String peerId) {
    for (Target t : targets) {
      if (t.id.toString().equals(peerId)) {
        return t;
      }
    }
    return null;
  }

  /** The peer to try after {@code failed}: the healthiest other one. */
  private Target next(Target failed) {
    for (RaftPeerId p : health.order(null)) {
      if (!p.equals(failed.id)) {
        Target t = find(p.toString());
        if (t != null) {
          return t;
        }
      }
    }
    return failed;
  }

  private void expireOverdue() {
    long now = System.nanoTime();
    for (Target t : targets) {
      Call c = t.current();
      if (c != null) {
        c.expire(now);
      }
    }
  }

  /** Whether {@code t} says the connection was never made: nothing was sent on it. */
  static boolean connectionRefused(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof ConnectException) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void close() {
    closed = true;
    sweeper.cancel(false);
    for (Target t : targets) {
      t.close();
    }
  }

  /** One peer: its channel and current call. */
  private final class Target {
    final RaftPeerId id;
    final String address;
    private ManagedChannel channel; // guarded by this
    private Call call; // guarded by this
    private boolean shut; // guarded by this: no channel after close

    Target(RaftPeerId id, String address) {
      this.id = id;
      this.address = address;
    }

    synchronized Call current() {
      return call;
    }

    /** The open call, a new one if the last ended; null once closed. */
    synchronized Call call() {
      if (shut) {
        return null;
      }
      if (call == null || call.ended) {
        if (call != null) {
          // A channel that failed to connect waits up to minutes before it tries again, failing
          // every call meanwhile; this client's own backoff paces the attempts instead.
          channel.resetConnectBackoff();
        }
        if (channel == null) {
          NettyChannelBuilder b = NettyChannelBuilder.forTarget(address).directExecutor();
          channel = (ssl == null ? b.usePlaintext() : b.sslContext(ssl)).build();
        }
        call = new Call(this);
        call.start(channel);
      }
      return call;
    }

    void close() {
      ManagedChannel ch;
      Call c;
      synchronized (this) {
        shut = true;
        ch = channel;
        c = call;
        channel = null;
        call = null;
      }
      if (c != null) {
        c.end(new IllegalStateException("client closed"), true);
      }
      if (ch != null) {
        ch.shutdownNow();
      }
    }
  }

  /** One bidirectional call to one peer, and the submissions waiting for its answers. */
  private final class Call implements StreamObserver<byte[]> {
    private final Target target;
    private final Map<Long, Waiting> waiting = new ConcurrentHashMap<>();
    private StreamObserver<byte[]> requests; // guarded by this
    volatile boolean ended;

    Call(Target target) {
      this.target = target;
    }

    void start(ManagedChannel channel) {
      requests =
          ClientCalls.asyncBidiStreamingCall(
              channel.newCall(SubmissionRpc.SUBMIT, CallOptions.DEFAULT), this);
    }

    void send(long id, byte[] message, CompletableFuture<Protocol.SubmitReply> answer) {
      waiting.put(id, new Waiting(answer, System.nanoTime()));
      try {
        synchronized (this) {
          if (!ended) {
            requests.onNext(message);
          }
        }
      } catch (RuntimeException e) {
        end(e, true);
      }
      if (ended) {
        fail(id, new Lost(target.id, "the stream ended", null, true));
      }
    }

    private void fail(long id, Throwable t) {
      Waiting w = waiting.remove(id);
      if (w != null) {
        w.answer.completeExceptionally(t);
      }
    }

    @Override
    public void onNext(byte[] message) {
      SubmissionStream.Answer a;
      try {
        a = SubmissionStream.decodeAnswer(ByteBuffer.wrap(message));
      } catch (CodecException e) {
        end(new IllegalStateException("undecodable answer: " + e.getMessage(), e), true);
        return;
      }
      Waiting w = waiting.remove(a.requestId());
      if (w == null) {
        return; // it timed out
      }
      health.success(target.id);
      answered(target, a.reply());
      w.answer.complete(a.reply());
    }

    @Override
    public void onError(Throwable t) {
      end(t, false);
    }

    @Override
    public void onCompleted() {
      end(Status.UNAVAILABLE.withDescription("the node ended the stream").asException(), false);
    }

    /** Fails every waiting submission as lost; cancels the call when it is still open. */
    void end(Throwable cause, boolean cancel) {
      synchronized (this) {
        if (ended) {
          return;
        }
        ended = true;
        if (cancel && requests != null) {
          try {
            requests.onError(Status.CANCELLED.withCause(cause).asException());
          } catch (RuntimeException ignored) {
            // already cancelled
          }
        }
      }
      if (!closed) {
        LOG.debug("submission stream to {} ended: {}", target.id, cause.toString());
        failed(target, cause);
      }
      for (Long id : List.copyOf(waiting.keySet())) {
        fail(id, failure(cause));
      }
    }

    private RuntimeException failure(Throwable cause) {
      if (closed) {
        return new IllegalStateException("client closed");
      }
      if (Status.fromThrowable(cause).getCode() == Status.Code.UNIMPLEMENTED) {
        // Not an outage: a node older than the stream. Retrying would not help.
        return new ProposalRejectedException(
            "node "
                + target.id
                + " does not serve the submission stream (it is older than this client):"
                + " upgrade the nodes, or use propose");
      }
      return new Lost(
          target.id, String.valueOf(cause.getMessage()), cause, !connectionRefused(cause));
    }

    /** Ends the call when a submission has waited past the request timeout. */
    void expire(long now) {
      for (Waiting w : waiting.values()) {
        if (now - w.sentNanos - requestTimeoutNanos > 0) {
          end(
              new TimeoutException(
                  "no answer within " + TimeUnit.NANOSECONDS.toMillis(requestTimeoutNanos) + " ms"),
              true);
          return;
        }
      }
    }
  }
}
