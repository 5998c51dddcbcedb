package org.calvinseq.client;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.calvinseq.core.codec.CodecException;
import org.calvinseq.core.codec.EntryEncoder;
import org.calvinseq.core.concurrent.DaemonThreads;
import org.calvinseq.core.model.AckBatch;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.SequencerEntry;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.core.protocol.NodeStatus;
import org.calvinseq.core.protocol.Protocol;
import org.calvinseq.core.replay.ReplayUnavailableException;
import org.calvinseq.core.routing.CollectionHashRouter;
import org.calvinseq.core.routing.Participants;

/**
 * Talks to a sequencer cluster from another process.
 *
 * <ul>
 *   <li>{@link #propose}: one batch, one epoch; pipelined (at most {@code maxInFlight} proposals
 *       unanswered; a caller beyond that waits for a slot);
 *   <li>{@link #submit}: one txn, batched with others by a client-side batcher into few proposals;
 *   <li>{@link #awaitCompletion}: waits until every participating vshard acked a txn;
 *   <li>{@link #replay}: a vshard's txns of an epoch range, page by page, failing over between
 *       peers; {@link #status()}: every peer's view of itself.
 * </ul>
 *
 * <p>Failures: a proposal the leader refuses fails with {@link ProposalRejectedException} (the
 * message says why); one naming an epoch already passed with {@link StaleEpochException}; one that
 * found no leader with a quorum within the call timeout with {@link SequencerUnavailableException}.
 * Retries wait with exponential backoff and jitter ({@link RetryBackoff}) and end at the call
 * timeout. A retry is the same Ratis request (same client id and call id), which the servers' retry
 * cache answers if it was already committed, so a retried proposal is not sequenced twice. A call
 * that fails as unavailable may still have been sequenced (its outcome is unknown, as with any
 * timeout); txns carry a {@link org.calvinseq.core.model.ClientTxnId} to recognise it.
 *
 * <p>Futures complete on a client thread (or on the builder's {@link
 * SequencerClientBuilder#callbackExecutor}); callbacks must not block. {@link #close()} fails every
 * pending future with {@code IllegalStateException("client closed")}.
 */
public final class SequencerClient implements AutoCloseable {
  /** Default txns per replay page. */
  public static final int DEFAULT_PAGE_SIZE = 1000;

  private static final AtomicInteger INSTANCES = new AtomicInteger();

  /**
   * Room left in a gRPC message for the Ratis request around an entry (ids, call id, routing);
   * Ratis's client refuses a request whose serialized size exceeds the message limit.
   */
  static final int REQUEST_ENVELOPE_BYTES = 4096;

  private final RaftGroup group;
  private final Duration requestTimeout;
  private final Duration callTimeout;
  private final Duration backstop;
  private final RetryBackoff backoff;
  private final ClientErrors errors;
  private final RandomGenerator random;
  private final PeerHealth health;
  private final ClientMetrics metrics;
  private final Semaphore inFlight;
  private final int maxInFlight;
  private final int maxEntryBytes;
  private final Set<CompletableFuture<?>> pending = ConcurrentHashMap.newKeySet();
  private final Executor callbacks;
  private final ExecutorService ownCallbacks; // null when the builder gave the executor
  private final ScheduledExecutorService timer;
  private final ExecutorService queryPool;
  private final ProposalChannel channel;
  private final SubmissionStreams streams;
  private final QueryChannel queries;
  private final TxnBatcher batcher;
  private final CompletionPoller completions;
  private volatile RaftPeerId leaderHint;
  private final SequencerClientBuilder settings;
  private volatile int vshardCount;
  private volatile boolean closed;

  SequencerClient(SequencerClientBuilder b) {
    this.settings = b;
    int n = INSTANCES.incrementAndGet();
    this.group =
        b.groupId != null
            ? RaftGroup.valueOf(b.groupId, b.peers)
            : Peers.group(b.clusterName, b.peers);
    this.requestTimeout = b.requestTimeout;
    this.callTimeout = b.callTimeout;
    this.backoff = b.retryBackoff;
    this.errors = new ClientErrors(callTimeout, b.clusterMaxBatchBytes, () -> closed);
    this.backstop = callTimeout.plus(requestTimeout).plus(backoff.max()).plusSeconds(1);
    this.random = RetryBackoff.shared(b.random);
    this.maxInFlight = b.maxInFlight;
    this.inFlight = new Semaphore(b.maxInFlight);
    this.maxEntryBytes =
        Math.min(b.clusterMaxBatchBytes, b.maxMessageBytes - REQUEST_ENVELOPE_BYTES);
    this.vshardCount = b.vshardCount;
    List<RaftPeerId> ids = b.peers.stream().map(RaftPeer::getId).toList();
    this.metrics =
        new ClientMetrics(b.registry != null ? b.registry : new SimpleMeterRegistry(), ids);
    this.health = new PeerHealth(ids, b.healthPolicy, System::nanoTime, random, metrics);
    metrics.bindHealth(health);
    String prefix = "calvinseq-client-" + n;
    this.ownCallbacks =
        b.callbackExecutor != null
            ? null
            : Executors.newSingleThreadExecutor(DaemonThreads.factory(prefix + "-callbacks"));
    this.callbacks = b.callbackExecutor != null ? b.callbackExecutor : ownCallbacks;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(DaemonThreads.factory(prefix + "-timer"));
    this.queryPool =
        Executors.newFixedThreadPool(
            Math.max(2, ids.size()), DaemonThreads.factory(prefix + "-query"));
    RatisRetryPolicy writeRetry =
        new RatisRetryPolicy(backoff, callTimeout, b.maxAttempts, random, health);
    RaftProperties writeProps = b.ratisProperties(b.maxInFlight);
    this.channel = new ProposalChannel(() -> ratisClient(writeProps, writeRetry), timer);
    this.queries =
        new QueryChannel(ratisClient(b.ratisProperties(16), RetryPolicies.noRetry()), health);
    this.streams = new SubmissionStreams(b.peers, b.tls, requestTimeout.toNanos(), health, timer);
    InboxSubmitter inbox = new InboxSubmitter(this, streams, callTimeout.toNanos(), maxEntryBytes);
    int batchSlots = Math.min(b.maxInFlightBatches, b.maxInFlight);
    this.batcher =
        TxnBatcher.viaInbox(
            new TxnBatcher.Settings(
                b.linger,
                Math.min(b.maxBatchTxns, InboxSubmitter.MAX_TXNS),
                Math.min(b.maxBatchBytes, b.clusterMaxBatchBytes),
                b.maxBufferedTxns,
                b.maxBlock != null ? b.maxBlock : callTimeout,
                b.assignClientTxnIds,
                batchSlots,
                Math.min(b.eagerInFlightBatches, batchSlots)),
            inbox::submit,
            b.clock,
            metrics,
            random.nextLong(),
            prefix + "-batcher");
    this.completions = new CompletionPoller(this);
    metrics.bindInFlight(() -> maxInFlight - inFlight.availablePermits(), batcher::buffered);
  }

  /** A builder; only the peers are required. */
  public static SequencerClientBuilder builder() {
    return new SequencerClientBuilder();
  }

  public RaftGroup group() {
    return group;
  }

  public List<RaftPeer> peers() {
    return List.copyOf(group.getPeers());
  }

  /** The registry this client's meters are in. */
  public MeterRegistry meterRegistry() {
    return metrics.registry();
  }

  /** The client's view of each peer. */
  public List<PeerHealth.Snapshot> peerHealth() {
    return health.snapshot();
  }

  /** The id this client puts in the {@link org.calvinseq.core.model.ClientTxnId} it assigns. */
  public long clientId() {
    return batcher.clientId();
  }

  // ---- proposals ----

  /**
   * Proposes a batch. Completes with the receipt once the batch is committed and applied: its
   * epoch, log index, {@code epochSystemMs} and, through {@link BatchReceipt#txnIds()}, the id of
   * every txn. Waits for a slot when {@code maxInFlight} proposals are unanswered.
   *
   * <p>Fails with {@link ProposalRejectedException} when the leader refuses the batch, {@link
   * StaleEpochException} when it named an epoch already passed, {@link
   * SequencerUnavailableException} when no quorum answered within the call timeout.
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

  /**
   * Submits one txn to the batcher. The batcher's batches go to the leader's inbox, which puts
   * each, whole and in order, into an epoch it forms from every client's submissions (so many small
   * clients share few large epochs), rather than each becoming its own entry and epoch as with
   * {@link #propose}. Completes with the txn's {@link TxnId} once its epoch is sequenced (for a
   * retried txn already sequenced, the id it got then); fails with {@link
   * ProposalRejectedException} when the leader refuses the batch as bad input, or for load past the
   * call timeout (the message names the limit and the tenant), and with {@link
   * SequencerUnavailableException} as {@link #propose} does. Load refusals are retried after the
   * leader's hint, with the same client txn ids, within the call timeout. Blocks while the
   * batcher's buffer is full (up to the builder's {@code maxBlock}). A call that leaves a batch
   * ready to go while a slot is free for it (a full batch: one of the {@code maxInFlightBatches};
   * one past its linger: one of the {@code eagerInFlightBatches}) sends it before returning, on the
   * calling thread (encoding it and writing it to the stream: microseconds for a small batch, never
   * a wait for the network); the batcher's thread sends the rest.
   *
   * <p>Order: txns of one tenant are sequenced in submission order unless a batch is retried;
   * batches of different tenants may be interleaved by the leader's fair round robin, and a retried
   * batch may be passed by later ones (docs/architecture.md, "How it is wired").
   *
   * <p>Use {@link #propose} for a batch that must be one epoch of its own, or name its epoch (tests
   * and tools: the stale and gap semantics); use {@code submit} otherwise.
   */
  public CompletableFuture<TxnId> submit(Txn txn) {
    if (closed) {
      return CompletableFuture.failedFuture(new IllegalStateException("client closed"));
    }
    return batcher.submit(txn);
  }

  /**
   * Submits {@code txns} in their order, as that many {@link #submit} calls back to back would, and
   * returns each txn's future, in the same order, with the same meaning. For a caller that holds
   * several txns at once (a front-end's batch of requests): the batcher takes them under one hold
   * of its lock, so they stay consecutive in the client's batches, where other threads' submits
   * could come between single submits (others interleave only while this call waits for buffer
   * space); like any submits they may span several batches, and so several epochs.
   */
  public List<CompletableFuture<TxnId>> submitAll(List<Txn> txns) {
    if (closed) {
      List<CompletableFuture<TxnId>> failed = new ArrayList<>(txns.size());
      for (int i = 0; i < txns.size(); i++) {
        failed.add(CompletableFuture.failedFuture(new IllegalStateException("client closed")));
      }
      return failed;
    }
    return batcher.submitAll(txns);
  }

  private CompletableFuture<BatchReceipt> send(SequencerEntry entry) {
    return sendBytes(UnsafeByteOperations.unsafeWrap(EntryEncoder.encode(entry)));
  }

  private CompletableFuture<BatchReceipt> sendBytes(ByteString bytes) {
    if (closed) {
      return CompletableFuture.failedFuture(new IllegalStateException("client closed"));
    }
    if (bytes.size() > maxEntryBytes) {
      // Sent anyway, the leader would refuse it, or gRPC would, which reads as a broken
      // connection: retried to every peer until the call timeout, then "unavailable".
      metrics.proposed("rejected", 0);
      return CompletableFuture.failedFuture(new ProposalRejectedException(tooLarge(bytes.size())));
    }
    try {
      if (!inFlight.tryAcquire(callTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
        return CompletableFuture.failedFuture(
            new SequencerUnavailableException(
                maxInFlight
                    + " proposals stayed unanswered for "
                    + callTimeout.toMillis()
                    + " ms; no slot for another"));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return CompletableFuture.failedFuture(
          closed ? new IllegalStateException("client closed") : new CompletionException(e));
    }
    CompletableFuture<BatchReceipt> out = track(new CompletableFuture<>());
    long start = System.nanoTime();
    channel
        .send(Message.valueOf(bytes))
        .orTimeout(backstop.toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete(
            (reply, t) -> {
              inFlight.release();
              BatchReceipt r = null;
              Throwable err;
              try {
                err = t == null ? null : translate(t);
                r = t == null ? receipt(reply) : null;
              } catch (RuntimeException e) {
                err = e;
              }
              metrics.proposed(ClientErrors.outcome(err), System.nanoTime() - start);
              complete(out, r, err);
            });
    return out;
  }

  private String tooLarge(int size) {
    return "proposal not sent: it is "
        + size
        + " bytes encoded, over the limit of "
        + maxEntryBytes
        + " bytes: the smaller of clusterMaxBatchBytes "
        + settings.clusterMaxBatchBytes
        + " (the servers' max-batch-bytes as the client knows it) and the gRPC message limit"
        + " maxMessageBytes "
        + settings.maxMessageBytes
        + " less "
        + REQUEST_ENVELOPE_BYTES
        + " for the request";
  }

  private BatchReceipt receipt(RaftClientReply reply) {
    health.success(reply.getServerId());
    leaderHint = reply.getServerId();
    if (!reply.isSuccess()) {
      throw translate(reply.getException());
    }
    BatchReceipt r;
    try {
      r = Protocol.decodeReceipt(reply.getMessage().getContent().asReadOnlyByteBuffer());
    } catch (CodecException e) {
      throw new IllegalStateException("undecodable receipt from " + reply.getServerId(), e);
    }
    if (r.stale()) {
      throw new StaleEpochException(r);
    }
    return r;
  }

  /** Maps what a call failed with onto this client's exceptions (unwrapped). */
  RuntimeException translate(Throwable t) {
    return errors.translate(t);
  }

  // ---- completion ----

  /**
   * Completes when every vshard of {@code participants} has acked {@code txnId}, polling the
   * cluster with backoff; fails with {@link CompletionTimeoutException} naming the vshards that had
   * not acked when {@code timeout} passed.
   *
   * <p>A txn's ack state is kept by the cluster for a limited time after its first ack (the nodes'
   * {@code completion-retention} and {@code completion-max-entries}); waiting for a txn whose state
   * was evicted fails at once with {@link CompletionStateEvictedException}: it completed, or
   * expired partly acked, or was never acked, and the cluster no longer knows which. Nodes that
   * predate eviction watermarks do not say so, and the wait times out instead.
   */
  public CompletableFuture<TxnId> awaitCompletion(
      TxnId txnId, int[] participants, Duration timeout) {
    int[] parts = Arrays.stream(participants).distinct().sorted().toArray();
    if (parts.length == 0) {
      throw new IllegalArgumentException("participants must not be empty");
    }
    return completions.await(txnId, parts, timeout);
  }

  /**
   * As {@link #awaitCompletion(TxnId, int[], Duration)}, with the participants computed from the
   * txn's keys by the default router ({@link CollectionHashRouter}) over the cluster's vshard count
   * (asked of the cluster once, unless the builder was given it).
   */
  public CompletableFuture<TxnId> awaitCompletion(TxnId txnId, Txn txn, Duration timeout) {
    if (vshardCount > 0) {
      return awaitCompletion(txnId, participants(txn), timeout);
    }
    return CompletableFuture.supplyAsync(this::clusterVshardCount, queryPool)
        .thenCompose(n -> awaitCompletion(txnId, participants(txn), timeout));
  }

  /** The vshards {@code txn} reaches under the default router. */
  public int[] participants(Txn txn) {
    return Participants.of(txn, new CollectionHashRouter(clusterVshardCount()));
  }

  private int clusterVshardCount() {
    int n = vshardCount;
    if (n > 0) {
      return n;
    }
    for (PeerStatus s : status()) {
      if (s.reachable()) {
        vshardCount = s.status().vshardCount();
        return vshardCount;
      }
    }
    throw new SequencerUnavailableException("no peer answered to tell the vshard count");
  }

  // ---- queries ----

  /** Status of one peer, asked directly (any role answers). */
  public NodeStatus status(RaftPeerId peer) throws IOException {
    checkOpen();
    try {
      return queries.status(peer);
    } catch (QueryRefusedException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /**
   * Status of every peer, asked in parallel, in the group's peer order. A peer that does not answer
   * is asked again, with backoff, until the call timeout; one that has not answered by then is
   * reported with its last error, not thrown. A peer that answers with an error is not asked again.
   */
  public List<PeerStatus> status() {
    checkOpen();
    return new StatusQuery(queries, health, callTimeout, backoff, random, queryPool).ask(peers());
  }

  /**
   * The txns of {@code vshard} in {@code [fromEpoch, toEpoch]}, {@code pageSize} per request, from
   * {@code peer} (or the peer the client thinks best when null), failing over to the other peers
   * when it stops answering: the same content as a node's local replay. The range ends at the last
   * epoch the first peer asked had applied; once the txns are exhausted, {@link
   * ReplayIterator#completeThroughEpoch()} says through which epoch the range is complete.
   *
   * @throws ReplayUnavailableException from iteration, when the range is no longer retained
   * @throws SequencerUnavailableException from iteration, when no peer served a page within the
   *     call timeout
   */
  public ReplayIterator replay(
      RaftPeerId peer, int vshard, long fromEpoch, long toEpoch, int pageSize) {
    checkOpen();
    return new RemoteReplay(
        queries,
        health,
        peer != null ? peer : leaderHint,
        vshard,
        fromEpoch,
        toEpoch,
        pageSize,
        callTimeout,
        backoff,
        random);
  }

  /**
   * {@link #replay(RaftPeerId, int, long, long, int)} starting with the peer whose id is {@code
   * peerId} (as {@link PeerStatus} and {@code NodeStatus.nodeId()} name it; null: any peer).
   */
  public ReplayIterator replay(
      String peerId, int vshard, long fromEpoch, long toEpoch, int pageSize) {
    RaftPeerId peer = peerId == null ? null : RaftPeerId.valueOf(peerId);
    return replay(peer, vshard, fromEpoch, toEpoch, pageSize);
  }

  /** {@link #replay(RaftPeerId, int, long, long, int)} from any peer, 1000 txns per page. */
  public ReplayIterator replay(int vshard, long fromEpoch, long toEpoch) {
    return replay((RaftPeerId) null, vshard, fromEpoch, toEpoch, DEFAULT_PAGE_SIZE);
  }

  // ---- plumbing shared with the pollers ----

  QueryChannel queries() {
    return queries;
  }

  PeerHealth health() {
    return health;
  }

  RetryBackoff backoff() {
    return backoff;
  }

  /** Counts an answered submission, as proposals are counted. */
  void submitted(Throwable err, long nanos) {
    metrics.proposed(ClientErrors.outcome(err), nanos);
  }

  RaftPeerId leaderHint() {
    return leaderHint;
  }

  ScheduledExecutorService timer() {
    return timer;
  }

  ExecutorService queryPool() {
    return queryPool;
  }

  RandomGenerator random() {
    return random;
  }

  <T> CompletableFuture<T> track(CompletableFuture<T> f) {
    pending.add(f);
    f.whenComplete((r, t) -> pending.remove(f));
    if (closed) {
      f.completeExceptionally(new IllegalStateException("client closed"));
    }
    return f;
  }

  /**
   * Completes {@code f} on the callback executor: by default the client's own thread, so user
   * callbacks never run on Ratis or gRPC threads.
   */
  <T> void complete(CompletableFuture<T> f, T value, Throwable err) {
    Runnable r =
        () -> {
          if (err != null) {
            f.completeExceptionally(err);
          } else {
            f.complete(value);
          }
        };
    try {
      callbacks.execute(r);
    } catch (RejectedExecutionException closing) {
      r.run();
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("client closed");
    }
  }

  /**
   * Closes the client: txns not yet sent and every pending future fail with {@code
   * IllegalStateException("client closed")} (a proposal already sent may still be sequenced).
   */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    batcher.close();
    IllegalStateException closedError = new IllegalStateException("client closed");
    for (CompletableFuture<?> f : List.copyOf(pending)) {
      f.completeExceptionally(closedError);
    }
    channel.close();
    streams.close();
    IOException failure = null;
    try {
      queries.close();
    } catch (IOException e) {
      failure = e;
    }
    timer.shutdownNow();
    queryPool.shutdownNow();
    if (ownCallbacks != null) {
      ownCallbacks.shutdown();
    }
    metrics.close();
    if (failure != null) {
      throw failure;
    }
  }

  private RaftClient ratisClient(RaftProperties props, RetryPolicy retry) {
    RaftClient.Builder rb =
        RaftClient.newBuilder().setProperties(props).setRaftGroup(group).setRetryPolicy(retry);
    settings.applyParameters(rb);
    return rb.build();
  }
}
