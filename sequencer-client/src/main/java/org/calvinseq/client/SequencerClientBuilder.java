package org.calvinseq.client;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.calvinseq.core.codec.ProposalLimits;
import org.calvinseq.core.codec.WireFormat;
import org.slf4j.LoggerFactory;

/**
 * Settings of a {@link SequencerClient}; every one has a default except the peers. {@link #build()}
 * fails fast on a bad combination.
 *
 * <pre>{@code
 * try (SequencerClient client = SequencerClient.builder()
 *     .peers("n1@10.0.0.1:7001,n2@10.0.0.2:7001,n3@10.0.0.3:7001")
 *     .callTimeout(Duration.ofSeconds(10))
 *     .meterRegistry(registry)
 *     .build()) {
 *   TxnId id = client.submit(txn).join();
 * }
 * }</pre>
 */
public final class SequencerClientBuilder {
  private static final Duration RETRY_CACHE_EXPIRY = Duration.ofSeconds(60);

  List<RaftPeer> peers;
  String clusterName = Peers.DEFAULT_CLUSTER;
  RaftGroupId groupId;
  Duration requestTimeout = Duration.ofSeconds(3);
  Duration callTimeout = Duration.ofSeconds(15);
  int maxInFlight = 32;
  int maxAttempts = 1000;
  int maxMessageBytes = 64 * 1024 * 1024;
  int clusterMaxBatchBytes = ProposalLimits.DEFAULTS.maxBatchBytes();
  RetryBackoff retryBackoff = RetryBackoff.DEFAULT;
  PeerHealth.Policy healthPolicy = PeerHealth.Policy.DEFAULT;
  MeterRegistry registry;
  Duration linger = Duration.ofMillis(2);
  int maxInFlightBatches = 16;
  int eagerInFlightBatches = 4;

  /**
   * The most {@link #maxInFlightBatches}: half the runs of one client's sequences the cluster's
   * de-duplication window holds.
   */
  public static final int MAX_IN_FLIGHT_BATCHES = WireFormat.DEDUPE_WINDOW_RUNS / 2;

  int maxBatchTxns = 1000;
  Executor callbackExecutor;
  int maxBatchBytes = 1024 * 1024;
  int maxBufferedTxns = 100_000;
  Duration maxBlock;
  boolean assignClientTxnIds = true;
  int vshardCount = -1;
  RandomGenerator random = new java.util.SplittableRandom();
  InstantSource clock = InstantSource.system();
  TlsFiles tls;

  SequencerClientBuilder() {}

  /** The cluster's peers as {@code id@host:port,...}. Required. */
  public SequencerClientBuilder peers(String peers) {
    this.peers = Peers.parse(peers);
    return this;
  }

  public SequencerClientBuilder peers(List<RaftPeer> peers) {
    this.peers = List.copyOf(peers);
    return this;
  }

  /** The cluster name the Raft group id derives from; default {@value Peers#DEFAULT_CLUSTER}. */
  public SequencerClientBuilder clusterName(String name) {
    this.clusterName = Objects.requireNonNull(name, "name");
    return this;
  }

  /** The Raft group id, when the cluster's is not derived from a name. */
  public SequencerClientBuilder groupId(RaftGroupId id) {
    this.groupId = id;
    return this;
  }

  /** How long one attempt (one request to one peer) may take; default 3 s. */
  public SequencerClientBuilder requestTimeout(Duration d) {
    this.requestTimeout = d;
    return this;
  }

  /**
   * How long a call may take, retries included; default 15 s. Keep it below the servers' Ratis
   * retry cache expiry (60 s by default): a proposal retried after its cache entry expired could be
   * appended a second time.
   */
  public SequencerClientBuilder callTimeout(Duration d) {
    this.callTimeout = d;
    return this;
  }

  /** Most proposals unanswered at once; default 32. A caller beyond waits for a slot. */
  public SequencerClientBuilder maxInFlight(int n) {
    this.maxInFlight = n;
    return this;
  }

  /** Most attempts of one proposal (the call timeout usually ends it first); default 1000. */
  public SequencerClientBuilder maxAttempts(int n) {
    this.maxAttempts = n;
    return this;
  }

  /** The delays between retries; default {@link RetryBackoff#DEFAULT}. */
  public SequencerClientBuilder retryBackoff(RetryBackoff b) {
    this.retryBackoff = Objects.requireNonNull(b, "retryBackoff");
    return this;
  }

  /**
   * When a failing peer backs off and when it is dead; default {@link PeerHealth.Policy#DEFAULT}.
   */
  public SequencerClientBuilder peerHealth(PeerHealth.Policy p) {
    this.healthPolicy = Objects.requireNonNull(p, "policy");
    return this;
  }

  /**
   * Where the client's meters go; default a private {@code SimpleMeterRegistry}. Meters are keyed
   * by name and tags only, so give each client of a process its own registry (or accept that they
   * share counters); a closed client removes its meters.
   */
  public SequencerClientBuilder meterRegistry(MeterRegistry r) {
    this.registry = r;
    return this;
  }

  /** How long a submit batch waits for more txns after its first; default 2 ms. */
  public SequencerClientBuilder linger(Duration d) {
    this.linger = d;
    return this;
  }

  /**
   * Most submit batches sent and not yet answered; default 16 (and never more than {@link
   * #maxInFlight}). Only full batches (of {@link #maxBatchTxns} txns or {@link #maxBatchBytes}) use
   * the slots beyond {@link #eagerInFlightBatches}: a client under heavy load keeps that many full
   * batches in flight, so that the leader has a backlog to form large epochs from, which the
   * cluster sequences at a fraction of the cost per txn. At most {@link #MAX_IN_FLIGHT_BATCHES}:
   * the cluster remembers the last 64 batches (runs of sequences) of each client, and a retry must
   * find its batch among them (as Kafka's idempotent producer allows at most 5 requests in flight
   * for its window of 5).
   */
  public SequencerClientBuilder maxInFlightBatches(int n) {
    this.maxInFlightBatches = n;
    return this;
  }

  /**
   * Most submit batches unanswered when a batch that is not full may go at its {@link #linger};
   * default 4 (and never more than {@link #maxInFlightBatches}). While that many wait, the next
   * batch keeps filling until a slot frees or it is full: under moderate load a client sends a few
   * batches of what arrived meanwhile rather than many small ones, which would lengthen the tail
   * (docs/performance.md, "Batches in flight: eager and full").
   */
  public SequencerClientBuilder eagerInFlightBatches(int n) {
    this.eagerInFlightBatches = n;
    return this;
  }

  /** Most txns per submit batch; default 1000. */
  public SequencerClientBuilder maxBatchTxns(int n) {
    this.maxBatchTxns = n;
    return this;
  }

  /**
   * Most encoded bytes per submit batch; default 1 MiB, below the servers' default limit of 4 MiB.
   * A txn larger than this is sent in a batch of its own.
   */
  public SequencerClientBuilder maxBatchBytes(int n) {
    this.maxBatchBytes = n;
    return this;
  }

  /** Most submitted txns waiting to be sent before {@code submit} blocks; default 100,000. */
  public SequencerClientBuilder maxBufferedTxns(int n) {
    this.maxBufferedTxns = n;
    return this;
  }

  /** How long {@code submit} blocks on a full buffer before failing; default the call timeout. */
  public SequencerClientBuilder maxBlock(Duration d) {
    this.maxBlock = d;
    return this;
  }

  /**
   * Where the client completes its futures, and so runs their callbacks; default a thread of the
   * client's own. {@code Runnable::run} completes them on the thread that read the answer (a gRPC
   * I/O thread shared by the JVM's clients, or a Ratis client thread), as a Kafka producer runs its
   * callbacks on its I/O thread: one thread hand-off less per answer, for callbacks that are short
   * and never block (one that blocks stalls every answer read by that thread). The client does not
   * shut an executor given here down.
   */
  public SequencerClientBuilder callbackExecutor(Executor e) {
    this.callbackExecutor = Objects.requireNonNull(e, "callbackExecutor");
    return this;
  }

  /** Whether submitted txns without a client txn id get one (default true). */
  public SequencerClientBuilder assignClientTxnIds(boolean on) {
    this.assignClientTxnIds = on;
    return this;
  }

  /** The cluster's vshard count, for participants; default: asked of the cluster when needed. */
  public SequencerClientBuilder vshardCount(int n) {
    this.vshardCount = n;
    return this;
  }

  /** Largest gRPC message; default 64 MiB. */
  public SequencerClientBuilder maxMessageBytes(int n) {
    this.maxMessageBytes = n;
    return this;
  }

  /**
   * The servers' {@code max-batch-bytes}; default 4 MiB, the servers' default. A proposal encoded
   * larger (or larger than {@link #maxMessageBytes} allows) fails at once with {@link
   * ProposalRejectedException} naming its size and the limit, instead of being sent: the leader
   * would refuse it, and one over the servers' gRPC message limit would fail like a broken
   * connection, retried until the call timeout. Set it when the servers run with another limit. The
   * submit batcher never fills a batch beyond it, whatever {@link #maxBatchBytes} says.
   */
  public SequencerClientBuilder clusterMaxBatchBytes(int n) {
    this.clusterMaxBatchBytes = n;
    return this;
  }

  /** The source of jitter and of the client id; shared by the client's threads behind a lock. */
  public SequencerClientBuilder random(RandomGenerator r) {
    this.random = Objects.requireNonNull(r, "random");
    return this;
  }

  /** The clock batches take their proposer time from; default the system clock. */
  public SequencerClientBuilder clock(InstantSource c) {
    this.clock = Objects.requireNonNull(c, "clock");
    return this;
  }

  public SequencerClient build() {
    validate();
    if (callTimeout.compareTo(RETRY_CACHE_EXPIRY) > 0) {
      LoggerFactory.getLogger(SequencerClient.class)
          .warn(
              "callTimeout {} exceeds Ratis's default retry cache expiry {}: a proposal retried"
                  + " that late could be sequenced twice unless the servers keep it longer",
              callTimeout,
              RETRY_CACHE_EXPIRY);
    }
    return new SequencerClient(this);
  }

  void validate() {
    if (peers == null || peers.isEmpty()) {
      throw new IllegalArgumentException("peers are required");
    }
    positive("requestTimeout", requestTimeout);
    positive("callTimeout", callTimeout);
    if (callTimeout.compareTo(requestTimeout) < 0) {
      throw new IllegalArgumentException(
          "callTimeout " + callTimeout + " is shorter than requestTimeout " + requestTimeout);
    }
    if (linger == null || linger.isNegative()) {
      throw new IllegalArgumentException("linger must be >= 0: " + linger);
    }
    if (maxBlock != null && maxBlock.isNegative()) {
      throw new IllegalArgumentException("maxBlock must be >= 0: " + maxBlock);
    }
    atLeast("maxInFlight", maxInFlight, 1);
    atLeast("maxInFlightBatches", maxInFlightBatches, 1);
    atLeast("eagerInFlightBatches", eagerInFlightBatches, 1);
    if (maxInFlightBatches > MAX_IN_FLIGHT_BATCHES) {
      throw new IllegalArgumentException(
          "maxInFlightBatches must be at most "
              + MAX_IN_FLIGHT_BATCHES
              + " (the batches of a client the cluster's de-duplication window holds): "
              + maxInFlightBatches);
    }
    atLeast("maxAttempts", maxAttempts, 1);
    atLeast("maxBatchTxns", maxBatchTxns, 1);
    atLeast("maxBufferedTxns", maxBufferedTxns, maxBatchTxns);
    atLeast("maxBatchBytes", maxBatchBytes, 1024);
    atLeast("maxMessageBytes", maxMessageBytes, 1024 * 1024);
    atLeast("clusterMaxBatchBytes", clusterMaxBatchBytes, 64);
    if (maxBatchBytes > maxMessageBytes / 2) {
      throw new IllegalArgumentException(
          "maxBatchBytes " + maxBatchBytes + " must be at most half of maxMessageBytes");
    }
    if (tls != null) {
      tls.check();
    }
    if (vshardCount == 0 || vshardCount < -1) {
      throw new IllegalArgumentException("vshardCount must be >= 1: " + vshardCount);
    }
  }

  private static void positive(String name, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + d);
    }
  }

  private static void atLeast(String name, int v, int min) {
    if (v < min) {
      throw new IllegalArgumentException(name + " must be >= " + min + ": " + v);
    }
  }

  /**
   * Mutual TLS with these files (default none: plaintext). The nodes must run with TLS too, with
   * certificates of the same CA.
   */
  public SequencerClientBuilder tls(TlsFiles files) {
    this.tls = files;
    return this;
  }

  /** Adds the transport parameters (TLS) to a Ratis client builder. */
  void applyParameters(org.apache.ratis.client.RaftClient.Builder b) {
    if (tls != null) {
      b.setParameters(tls.ratisParameters());
    }
  }

  RaftProperties ratisProperties(int outstanding) {
    RaftProperties props = new RaftProperties();
    RaftClientConfigKeys.Rpc.setRequestTimeout(
        props, TimeDuration.valueOf(requestTimeout.toMillis(), TimeUnit.MILLISECONDS));
    RaftClientConfigKeys.Async.setOutstandingRequestsMax(props, Math.max(2, outstanding * 2 + 16));
    GrpcConfigKeys.setMessageSizeMax(props, SizeInBytes.valueOf(maxMessageBytes));
    // Ratis's first-connection workaround sends a watch request that a follower answers with an
    // error, logged as such; the client connects on its first real request instead.
    RaftClientConfigKeys.Async.Experimental.setSendDummyRequest(props, false);
    return props;
  }
}
