package org.calvinseq.server.ratis;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.grpc.server.GrpcServices;
import org.apache.ratis.thirdparty.io.grpc.CallOptions;
import org.apache.ratis.thirdparty.io.grpc.ManagedChannel;
import org.apache.ratis.thirdparty.io.grpc.MethodDescriptor;
import org.apache.ratis.thirdparty.io.grpc.Server;
import org.apache.ratis.thirdparty.io.grpc.ServerServiceDefinition;
import org.apache.ratis.thirdparty.io.grpc.netty.NettyChannelBuilder;
import org.apache.ratis.thirdparty.io.grpc.netty.NettyServerBuilder;
import org.apache.ratis.thirdparty.io.grpc.stub.ClientCalls;
import org.apache.ratis.thirdparty.io.grpc.stub.ServerCalls;
import org.apache.ratis.thirdparty.io.grpc.stub.StreamObserver;
import org.calvinseq.client.SubmissionRpc;
import org.calvinseq.core.protocol.Protocol;
import org.calvinseq.core.protocol.SubmissionStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The stream's server side on a plain gRPC server, beside another service as Ratis's would be: a
 * submission reaches the route on the thread that read it, and only the stream's method leaves
 * gRPC's default executor.
 */
class SubmissionServiceTest {
  /** Stands for one of Ratis's methods on the same server. */
  private static final MethodDescriptor<byte[], byte[]> OTHER =
      SubmissionRpc.SUBMIT.toBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(MethodDescriptor.generateFullMethodName("test.Other", "Call"))
          .build();

  private final List<String> routeThreads = new CopyOnWriteArrayList<>();
  private final List<ByteBuffer> routed = new CopyOnWriteArrayList<>();
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws IOException {
    SubmissionRoute route =
        batchEntry -> {
          routeThreads.add(Thread.currentThread().getName());
          routed.add(batchEntry);
          return CompletableFuture.completedFuture(
              new Protocol.SubmitRefused("CLOSED", true, -1, false, 0, "test answer"));
        };
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(
                ServerServiceDefinition.builder("test.Other")
                    .addMethod(
                        OTHER,
                        ServerCalls.asyncUnaryCall(
                            (byte[] request, StreamObserver<byte[]> out) -> {
                              out.onNext(Thread.currentThread().getName().getBytes());
                              out.onCompleted();
                            }))
                    .build());
    server =
        new SubmissionService(route)
            .customize(builder, EnumSet.of(GrpcServices.Type.CLIENT))
            .build()
            .start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void aSubmissionIsTakenOnTheThreadThatReadItAndOtherMethodsKeepTheDefaultExecutor()
      throws Exception {
    BlockingQueue<byte[]> answers = new LinkedBlockingQueue<>();
    StreamObserver<byte[]> in =
        ClientCalls.asyncBidiStreamingCall(
            channel.newCall(SubmissionRpc.SUBMIT, CallOptions.DEFAULT),
            new StreamObserver<>() {
              @Override
              public void onNext(byte[] value) {
                answers.add(value);
              }

              @Override
              public void onError(Throwable t) {
                answers.add(new byte[0]);
              }

              @Override
              public void onCompleted() {}
            });
    for (int id = 40; id < 43; id++) {
      in.onNext(SubmissionStream.submission(id, new byte[] {1, 2, (byte) id}));
      SubmissionStream.Answer a =
          SubmissionStream.decodeAnswer(ByteBuffer.wrap(answers.poll(10, TimeUnit.SECONDS)));
      assertThat(a.requestId()).isEqualTo(id);
      assertThat(a.reply()).isInstanceOf(Protocol.SubmitRefused.class);
      assertThat(((Protocol.SubmitRefused) a.reply()).message()).isEqualTo("test answer");
    }
    in.onCompleted();
    assertThat(routed).hasSize(3);
    ByteBuffer entry = routed.get(2);
    assertThat(entry.remaining()).isEqualTo(3);
    assertThat(entry.get(entry.position() + 2)).isEqualTo((byte) 42);

    String other =
        new String(ClientCalls.blockingUnaryCall(channel, OTHER, CallOptions.DEFAULT, new byte[0]));
    assertThat(other).as("another service's handler").startsWith("grpc-default-executor");
    // gRPC looks the method up, and chooses the call's executor, on its default executor; the
    // messages that come after it are taken on the Netty thread.
    assertThat(routeThreads.subList(1, 3))
        .as("the submissions' handler")
        .noneMatch(name -> name.startsWith("grpc-default-executor"));
  }

  @Test
  void aServerWithoutTheClientServiceGetsNothing() {
    NettyServerBuilder builder = NettyServerBuilder.forPort(0);
    NettyServerBuilder customized =
        new SubmissionService(b -> CompletableFuture.failedFuture(new AssertionError()))
            .customize(builder, EnumSet.of(GrpcServices.Type.SERVER));
    assertThat(customized).isSameAs(builder);
    Server s = customized.build();
    assertThat(s.getServices()).isEmpty();
  }
}
