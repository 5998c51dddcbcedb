package org.calvinseq.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.thirdparty.io.grpc.CallOptions;
import org.apache.ratis.thirdparty.io.grpc.ManagedChannel;
import org.apache.ratis.thirdparty.io.grpc.Status;
import org.apache.ratis.thirdparty.io.grpc.netty.NettyChannelBuilder;
import org.apache.ratis.thirdparty.io.grpc.stub.ClientCalls;
import org.apache.ratis.thirdparty.io.grpc.stub.StreamObserver;
import org.calvinseq.client.SequencerClient;
import org.calvinseq.client.SubmissionRpc;
import org.calvinseq.core.codec.EntryEncoder;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.protocol.NodeStatus;
import org.calvinseq.core.protocol.Protocol;
import org.calvinseq.core.protocol.SubmissionStream;
import org.calvinseq.testkit.LocalCluster;
import org.junit.jupiter.api.Test;

/**
 * The submission stream (docs/wire-format.md, section 14b) as a client in another language would
 * use it: raw messages on a gRPC stream of the test's own, each exactly the bytes the test means. A
 * follower names the leader; a malformed submission is refused on the stream, which stays open; a
 * message that is not a submission, or is over the node's message limit, ends the stream with a
 * status that says why; nothing of them reaches the log and every node keeps serving.
 */
class SubmissionStreamIT {
  @Test
  void aFollowerNamesTheLeaderAndTheClientFollowsIt() throws Exception {
    try (LocalCluster cluster = ClientItSupport.cluster()) {
      Protocol.SubmitRefused f = null;
      int follower = -1;
      // Leadership may move on a loaded machine: ask again until a follower answered.
      for (int attempt = 0; attempt < 20 && f == null; attempt++) {
        int leader = cluster.awaitLeader(Duration.ofSeconds(30));
        int candidate = (leader + 1) % cluster.size();
        LocalCluster.await(
            Duration.ofSeconds(30),
            () -> !cluster.node(candidate).status().leaderId().isEmpty(),
            "the follower learns the leader");
        try (RawStream s = new RawStream(cluster.peers().get(candidate))) {
          if (s.ask(1, entry(1)) instanceof Protocol.SubmitRefused r
              && r.reason().equals("NOT_LEADER")) {
            f = r;
            follower = candidate;
          }
        }
      }
      assertThat(f).as("a follower's answer").isNotNull();
      assertThat(f.retryable()).isTrue();
      assertThat(f.retryAfterMs()).isZero();
      assertThat(f.leader()).isNotNull().isNotEqualTo(cluster.nodeId(follower));
      String named = f.leader();
      assertThat(cluster.peers()).anyMatch(p -> p.getId().toString().equals(named));
      assertThat(f.message())
          .contains("node " + cluster.nodeId(follower) + " is not the leader; the leader is ");
      assertThat(ClusterChecks.inboxRefusals(List.of(cluster.node(follower)), "not_leader"))
          .isGreaterThanOrEqualTo(1);

      // A client that knows the follower first still gets its txns sequenced: it follows the
      // follower's answer to the leader.
      List<RaftPeer> followerFirst = new ArrayList<>(cluster.peers());
      followerFirst.add(0, followerFirst.remove(follower));
      try (SequencerClient client = SequencerClient.builder().peers(followerFirst).build()) {
        TxnId id = client.submit(ClientItSupport.txn(new Random(2), 2)).get(60, TimeUnit.SECONDS);
        cluster.awaitApplied(id.epoch(), Duration.ofSeconds(60));
      }
    }
  }

  @Test
  void badStreamMessagesAreRefusedWithAReasonAndNeverReachTheLog() throws Exception {
    try (LocalCluster cluster = ClientItSupport.cluster()) {
      long epoch = sequenced(cluster, 1).epoch().epoch();
      cluster.awaitApplied(epoch, Duration.ofSeconds(60));
      int leader = cluster.awaitLeader(Duration.ofSeconds(30));
      try (RawStream s = new RawStream(cluster.peers().get(leader))) {
        // A message with a request id but a batch entry that does not decode: refused, answered
        // with that id, and the stream stays open (it answers the next one).
        Protocol.SubmitReply bad = s.ask(2, HexFormat.of().parseHex("deadbeef"));
        assertThat(bad).isInstanceOf(Protocol.SubmitRefused.class);
        Protocol.SubmitRefused f = (Protocol.SubmitRefused) bad;
        assertThat(f.reason()).as(f.message()).isIn("MALFORMED", "NOT_LEADER", "CLOSED");
        if (f.reason().equals("MALFORMED")) {
          assertThat(f.retryable()).isFalse();
          assertThat(f.message()).contains("malformed submission");
        }
        assertThat(s.ask(3, HexFormat.of().parseHex("c0")))
            .isInstanceOf(Protocol.SubmitRefused.class);
      }

      // A message that is not [requestId, bin] cannot be answered: the stream ends, saying why.
      try (RawStream s = new RawStream(cluster.peers().get(leader))) {
        s.send(HexFormat.of().parseHex("c1c1c1"));
        Status status = s.ended();
        assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(status.getDescription())
            .contains("not a submission ([requestId, bin(batchEntry)])");
      }

      // Over the node's gRPC message limit: gRPC's own check ends the stream.
      try (RawStream s = new RawStream(cluster.peers().get(leader))) {
        s.send(SubmissionStream.submission(1, new byte[16 << 20]));
        assertThat(s.ended().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      }

      // None of them took an epoch, every node still serves, and none failed to decode an entry.
      long next = sequenced(cluster, 4).epoch().epoch();
      assertThat(next).as("the refused ones took no epoch").isEqualTo(epoch + 1);
      cluster.awaitApplied(next, Duration.ofSeconds(60));
      for (int i = 0; i < cluster.size(); i++) {
        NodeStatus st = cluster.status(i);
        assertThat(st).as("status of %s", cluster.nodeId(i)).isNotNull();
        assertThat(st.lastAppliedEpoch()).isEqualTo(next);
        assertThat(cluster.node(i).meterRegistry().get("sequencer.decode.errors").counter().count())
            .isZero();
      }
      assertThat(ClusterChecks.inboxRefusals(cluster.running(), "malformed"))
          .isGreaterThanOrEqualTo(2);
    }
  }

  /** Submits the txn of {@code seed} on a stream to the leader until it is sequenced. */
  private static Protocol.Submitted sequenced(LocalCluster cluster, int seed) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      int leader = cluster.awaitLeader(Duration.ofSeconds(30));
      try (RawStream s = new RawStream(cluster.peers().get(leader))) {
        Protocol.SubmitReply r = s.ask(seed, entry(seed));
        if (r instanceof Protocol.Submitted ok) {
          return ok;
        }
        Protocol.SubmitRefused f = (Protocol.SubmitRefused) r;
        assertThat(f.retryable()).as(f.message()).isTrue();
        assertThat(System.nanoTime())
            .as("sequenced within 60 s: " + f.message())
            .isLessThan(deadline);
      }
      Thread.sleep(50);
    }
  }

  private static byte[] entry(int seed) {
    return EntryEncoder.encode(
        EpochBatch.auto(0, List.of(ClientItSupport.txn(new Random(seed), seed))));
  }

  /** One raw submission stream to one node. */
  private static final class RawStream implements AutoCloseable {
    private final ManagedChannel channel;
    private final StreamObserver<byte[]> requests;
    private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();

    RawStream(RaftPeer peer) {
      channel = NettyChannelBuilder.forTarget(peer.getAddress()).usePlaintext().build();
      requests =
          ClientCalls.asyncBidiStreamingCall(
              channel.newCall(SubmissionRpc.SUBMIT, CallOptions.DEFAULT),
              new StreamObserver<byte[]>() {
                @Override
                public void onNext(byte[] value) {
                  events.add(value);
                }

                @Override
                public void onError(Throwable t) {
                  events.add(Status.fromThrowable(t));
                }

                @Override
                public void onCompleted() {
                  events.add(Status.OK);
                }
              });
    }

    void send(byte[] message) {
      requests.onNext(message);
    }

    /** Sends a submission and returns its answer, checking that it names the request. */
    Protocol.SubmitReply ask(long id, byte[] batchEntry) throws Exception {
      send(SubmissionStream.submission(id, batchEntry));
      Object e = events.poll(60, TimeUnit.SECONDS);
      assertThat(e).as("an answer to request %d", id).isInstanceOf(byte[].class);
      SubmissionStream.Answer a =
          SubmissionStream.decodeAnswer(java.nio.ByteBuffer.wrap((byte[]) e));
      assertThat(a.requestId()).isEqualTo(id);
      return a.reply();
    }

    Status ended() throws InterruptedException {
      Object e = events.poll(60, TimeUnit.SECONDS);
      assertThat(e).as("the stream's end").isInstanceOf(Status.class);
      return (Status) e;
    }

    @Override
    public void close() throws InterruptedException {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }
}
