package org.calvinseq.server.ratis;

import java.nio.ByteBuffer;
import java.util.EnumSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.ratis.grpc.server.GrpcServices;
import org.apache.ratis.thirdparty.io.grpc.Metadata;
import org.apache.ratis.thirdparty.io.grpc.ServerCall;
import org.apache.ratis.thirdparty.io.grpc.ServerCallExecutorSupplier;
import org.apache.ratis.thirdparty.io.grpc.ServerServiceDefinition;
import org.apache.ratis.thirdparty.io.grpc.Status;
import org.apache.ratis.thirdparty.io.grpc.netty.NettyServerBuilder;
import org.apache.ratis.thirdparty.io.grpc.stub.ServerCallStreamObserver;
import org.apache.ratis.thirdparty.io.grpc.stub.ServerCalls;
import org.apache.ratis.thirdparty.io.grpc.stub.StreamObserver;
import org.calvinseq.client.SubmissionRpc;
import org.calvinseq.core.codec.CodecException;
import org.calvinseq.core.protocol.Protocol;
import org.calvinseq.core.protocol.SubmissionStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The submission stream's server side (docs/wire-format.md, section 14b), added to the gRPC server
 * that carries Ratis's client service, so that it shares its port, its TLS and its message size
 * limit. Each submission goes to the {@link SubmissionRoute} as the read-only submission query's
 * would, on the gRPC thread that read it; its answer goes back on the same stream, tagged with its
 * request id, when the route completes it. A message that is not {@code [requestId, bin]} ends the
 * stream with {@code INVALID_ARGUMENT} and says why: without a request id it cannot be answered.
 */
public final class SubmissionService implements GrpcServices.Customizer {
  private static final Logger LOG = LoggerFactory.getLogger(SubmissionService.class);

  private final SubmissionRoute route;

  public SubmissionService(SubmissionRoute route) {
    this.route = route;
  }

  @Override
  public NettyServerBuilder customize(
      NettyServerBuilder builder, EnumSet<GrpcServices.Type> types) {
    if (!types.contains(GrpcServices.Type.CLIENT)) {
      return builder;
    }
    return builder
        .callExecutor(EXECUTORS)
        .addService(
            ServerServiceDefinition.builder(SubmissionRpc.SERVICE)
                .addMethod(
                    SubmissionRpc.SUBMIT,
                    ServerCalls.asyncBidiStreamingCall(
                        out -> new Inbound((ServerCallStreamObserver<byte[]>) out)))
                .build());
  }

  /**
   * The stream's messages are taken on the Netty thread that read them: taking one is a decode and
   * a short critical section in the inbox, never a wait, so the hop to gRPC's default executor (a
   * thread wake-up per message) buys nothing. Every other method (Ratis's own services) keeps the
   * server's default executor. gRPC chooses a call's executor on its default executor, where a
   * stream's first message may still be taken. The largest submission (max-batch-bytes) holds its
   * Netty thread for its decode, a few milliseconds, as a large appendEntries holds it for its
   * framing.
   */
  private static final ServerCallExecutorSupplier EXECUTORS =
      new ServerCallExecutorSupplier() {
        @Override
        public <Q, R> Executor getExecutor(ServerCall<Q, R> call, Metadata headers) {
          return SubmissionRpc.SUBMIT
                  .getFullMethodName()
                  .equals(call.getMethodDescriptor().getFullMethodName())
              ? Runnable::run
              : null;
        }
      };

  /** One client's stream. */
  private final class Inbound implements StreamObserver<byte[]> {
    private final ServerCallStreamObserver<byte[]> out;
    private int unanswered; // guarded by this
    private boolean halfClosed; // guarded by this
    private boolean ended; // guarded by this

    Inbound(ServerCallStreamObserver<byte[]> out) {
      this.out = out;
      // Without a handler, answering a cancelled call throws.
      out.setOnCancelHandler(
          () -> {
            synchronized (this) {
              ended = true;
            }
          });
    }

    @Override
    public void onNext(byte[] message) {
      SubmissionStream.Submission s;
      try {
        s = SubmissionStream.decodeSubmission(ByteBuffer.wrap(message));
      } catch (CodecException e) {
        synchronized (this) {
          if (!ended) {
            ended = true;
            out.onError(
                Status.INVALID_ARGUMENT
                    .withDescription(
                        "not a submission ([requestId, bin(batchEntry)]): " + e.getMessage())
                    .asRuntimeException());
          }
        }
        return;
      }
      synchronized (this) {
        unanswered++;
      }
      CompletableFuture<Protocol.SubmitReply> reply;
      try {
        reply = route.submit(s.batchEntry());
      } catch (RuntimeException e) {
        LOG.warn("taking a submission failed", e);
        reply = CompletableFuture.failedFuture(e);
      }
      long id = s.requestId();
      reply.whenComplete((r, t) -> answer(id, t == null ? r : failed(t)));
    }

    private static Protocol.SubmitReply failed(Throwable t) {
      return new Protocol.SubmitRefused(
          "EPOCH_FAILED", true, -1, false, 0, "the node failed to take the submission: " + t);
    }

    private void answer(long id, Protocol.SubmitReply r) {
      byte[] bytes = SubmissionStream.encodeAnswer(id, r);
      synchronized (this) {
        unanswered--;
        if (ended) {
          return;
        }
        out.onNext(bytes);
        if (halfClosed && unanswered == 0) {
          ended = true;
          out.onCompleted();
        }
      }
    }

    @Override
    public void onError(Throwable t) {
      synchronized (this) {
        ended = true;
      }
    }

    @Override
    public void onCompleted() {
      synchronized (this) {
        halfClosed = true;
        if (unanswered == 0 && !ended) {
          ended = true;
          out.onCompleted();
        }
      }
    }
  }
}
