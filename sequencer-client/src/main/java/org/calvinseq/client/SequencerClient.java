package org.calvinseq.client;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.ExponentialBackoffRetry;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.calvinseq.core.codec.CodecException;
import org.calvinseq.core.codec.EntryEncoder;
import org.calvinseq.core.model.AckBatch;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.SequencerEntry;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.core.protocol.NodeStatus;
import org.calvinseq.core.protocol.Protocol;
import org.calvinseq.core.replay.ReplayUnavailableException;

/**
 * Talks to a sequencer cluster from another process: propose batches (pipelined, bounded in
 * flight), query status, replay a vshard range page by page.
 *
 * <p>Retries use exponential backoff with jitter, bounded by a total deadline per call; a call that
 * cannot reach a quorum fails with {@link SequencerUnavailableException} instead of hanging.
 */
public final class SequencerClient implements AutoCloseable {
  private final RaftClient raft;
  private final RaftGroup group;
  private final Duration callTimeout;
  private final Semaphore inFlight;
  private volatile boolean closed;

  private SequencerClient(Builder b) {
    this.group = Peers.group(b.clusterName, b.peers);
    this.callTimeout = b.callTimeout;
    this.inFlight = new Semaphore(b.maxInFlight);
    RaftProperties props = new RaftProperties();
    RaftClientConfigKeys.Rpc.setRequestTimeout(
        props, TimeDuration.valueOf(b.requestTimeout.toMillis(), TimeUnit.MILLISECONDS));
    RaftClientConfigKeys.Async.setOutstandingRequestsMax(props, Math.max(b.maxInFlight, 2));
    GrpcConfigKeys.setMessageSizeMax(props, SizeInBytes.valueOf(b.maxMessageBytes));
    RetryPolicy retry =
        ExponentialBackoffRetry.newBuilder()
            .setBaseSleepTime(TimeDuration.valueOf(50, TimeUnit.MILLISECONDS))
            .setMaxSleepTime(TimeDuration.valueOf(2, TimeUnit.SECONDS))
            .setMaxAttempts(b.maxAttempts)
            .build();
    this.raft =
        RaftClient.newBuilder()
            .setProperties(props)
            .setRaftGroup(group)
            .setRetryPolicy(retry)
            .build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public RaftGroup group() {
    return group;
  }

  /**
   * Proposes a batch. Completes with the receipt once the batch is committed and applied: its epoch
   * and the id of every txn, or STALE when it named an epoch already passed.
   *
   * <p>Fails with {@link ProposalRejectedException} when the leader refuses the batch (the message
   * says why), or {@link SequencerUnavailableException} when no quorum answered in time.
   */
  public CompletableFuture<BatchReceipt> propose(EpochBatch batch) {
    return send(batch);
  }

  /** Proposes completion acks. */
  public CompletableFuture<BatchReceipt> proposeAcks(AckBatch acks) {
    return send(acks);
  }

  /** Proposes already encoded entry bytes (for tools that relay entries). */
  public CompletableFuture<BatchReceipt> proposeRaw(byte[] entry) {
    return sendBytes(UnsafeByteOperations.unsafeWrap(entry));
  }

  private CompletableFuture<BatchReceipt> send(SequencerEntry entry) {
    return sendBytes(UnsafeByteOperations.unsafeWrap(EntryEncoder.encode(entry)));
  }

  private CompletableFuture<BatchReceipt> sendBytes(ByteString bytes) {
    if (closed) {
      return CompletableFuture.failedFuture(new IllegalStateException("client is closed"));
    }
    try {
      if (!inFlight.tryAcquire(callTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
        return CompletableFuture.failedFuture(
            new SequencerUnavailableException(
                "too many proposals in flight for " + callTimeout.toMillis() + " ms"));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<BatchReceipt> out =
        raft.async()
            .send(Message.valueOf(bytes))
            .thenApply(SequencerClient::receipt)
            .orTimeout(callTimeout.toMillis(), TimeUnit.MILLISECONDS)
            .exceptionally(
                t -> {
                  throw translate(t);
                });
    out.whenComplete((r, t) -> inFlight.release());
    return out;
  }

  private static BatchReceipt receipt(RaftClientReply reply) {
    if (!reply.isSuccess()) {
      throw translate(reply.getException());
    }
    try {
      return Protocol.decodeReceipt(reply.getMessage().getContent().asReadOnlyByteBuffer());
    } catch (CodecException e) {
      throw new CompletionException(e);
    }
  }

  static CompletionException translate(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException)
        && c.getCause() != null) {
      c = c.getCause();
    }
    if (c instanceof ProposalRejectedException || c instanceof SequencerUnavailableException) {
      return new CompletionException(c);
    }
    if (c instanceof org.apache.ratis.protocol.exceptions.StateMachineException) {
      Throwable cause = c.getCause() != null ? c.getCause() : c;
      String msg = cause.getMessage();
      return new CompletionException(
          new ProposalRejectedException(msg == null ? c.toString() : msg));
    }
    if (c instanceof TimeoutException
        || c instanceof org.apache.ratis.protocol.exceptions.RaftRetryFailureException
        || c instanceof org.apache.ratis.protocol.exceptions.TimeoutIOException
        || c instanceof IOException) {
      return new CompletionException(
          new SequencerUnavailableException(
              "sequencer unavailable (no quorum or no leader reachable): " + c, c));
    }
    return new CompletionException(c);
  }

  /** Status of one peer, asked directly. */
  public NodeStatus status(RaftPeerId peer) throws IOException {
    RaftClientReply reply =
        raft.io().sendReadOnly(Message.valueOf(ByteString.copyFrom(Protocol.statusQuery())), peer);
    if (!reply.isSuccess()) {
      throw new IOException("status query to " + peer + " failed", reply.getException());
    }
    try {
      return Protocol.decodeStatus(reply.getMessage().getContent().asReadOnlyByteBuffer());
    } catch (CodecException e) {
      throw new IOException(e);
    }
  }

  public List<RaftPeer> peers() {
    return List.copyOf(group.getPeers());
  }

  /**
   * The txns of {@code vshard} in {@code [fromEpoch, toEpoch]}, fetched page by page from {@code
   * peer} (or the leader when null): the same content as the node's local replay.
   *
   * @throws ReplayUnavailableException from iteration, when the range is no longer retained
   */
  public Iterator<SequencedTxn> replay(
      RaftPeerId peer, int vshard, long fromEpoch, long toEpoch, int pageSize) {
    return new PageIterator(peer, vshard, fromEpoch, toEpoch, pageSize);
  }

  private final class PageIterator implements Iterator<SequencedTxn> {
    private final RaftPeerId peer;
    private final int vshard;
    private final long from;
    private final long to;
    private final int pageSize;
    private long afterEpoch = -1;
    private int afterPosition = Integer.MAX_VALUE;
    private Iterator<SequencedTxn> page = java.util.Collections.emptyIterator();
    private boolean done;

    PageIterator(RaftPeerId peer, int vshard, long from, long to, int pageSize) {
      this.peer = peer;
      this.vshard = vshard;
      this.from = from;
      this.to = to;
      this.pageSize = pageSize;
    }

    @Override
    public boolean hasNext() {
      while (!page.hasNext() && !done) {
        fetch();
      }
      return page.hasNext();
    }

    private void fetch() {
      byte[] q =
          Protocol.replayQuery(
              new Protocol.ReplayQuery(vshard, from, to, afterEpoch, afterPosition, pageSize));
      try {
        Message m = Message.valueOf(ByteString.copyFrom(q));
        RaftClientReply reply =
            peer == null ? raft.io().sendReadOnly(m) : raft.io().sendReadOnly(m, peer);
        if (!reply.isSuccess()) {
          throw new SequencerUnavailableException("replay query failed: " + reply.getException());
        }
        Protocol.ReplayPage p =
            Protocol.decodePage(reply.getMessage().getContent().asReadOnlyByteBuffer());
        if (p.firstAvailableEpoch() >= 0) {
          throw new ReplayUnavailableException(from, p.firstAvailableEpoch());
        }
        List<SequencedTxn> txns = p.txns();
        if (!txns.isEmpty()) {
          SequencedTxn last = txns.get(txns.size() - 1);
          afterEpoch = last.epoch();
          afterPosition = last.position();
        }
        done = p.done();
        page = txns.iterator();
      } catch (IOException | CodecException e) {
        throw new SequencerUnavailableException("replay query failed: " + e.getMessage(), e);
      }
    }

    @Override
    public SequencedTxn next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return page.next();
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    raft.close();
  }

  /** Client settings; every one has a default except the peers. */
  public static final class Builder {
    private List<RaftPeer> peers;
    private String clusterName = Peers.DEFAULT_CLUSTER;
    private Duration requestTimeout = Duration.ofSeconds(3);
    private Duration callTimeout = Duration.ofSeconds(15);
    private int maxInFlight = 256;
    private int maxAttempts = 20;
    private int maxMessageBytes = 64 * 1024 * 1024;

    public Builder peers(String peers) {
      this.peers = Peers.parse(peers);
      return this;
    }

    public Builder peers(List<RaftPeer> peers) {
      this.peers = List.copyOf(peers);
      return this;
    }

    public Builder clusterName(String name) {
      this.clusterName = name;
      return this;
    }

    /** Timeout of one attempt. */
    public Builder requestTimeout(Duration d) {
      this.requestTimeout = d;
      return this;
    }

    /** Total time a call may take, retries included. */
    public Builder callTimeout(Duration d) {
      this.callTimeout = d;
      return this;
    }

    /** Most proposals in flight at once. */
    public Builder maxInFlight(int n) {
      this.maxInFlight = n;
      return this;
    }

    public Builder maxAttempts(int n) {
      this.maxAttempts = n;
      return this;
    }

    public SequencerClient build() {
      if (peers == null || peers.isEmpty()) {
        throw new IllegalArgumentException("peers are required");
      }
      if (maxInFlight < 1) {
        throw new IllegalArgumentException("maxInFlight must be >= 1");
      }
      return new SequencerClient(this);
    }
  }

  static ByteBuffer buffer(ByteString s) {
    return s.asReadOnlyByteBuffer();
  }
}
