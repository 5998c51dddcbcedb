package org.calvinseq.bench;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientAsynchronousProtocol;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachine;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.calvinseq.client.Peers;
import org.calvinseq.core.apply.EpochStateMachine;
import org.calvinseq.core.codec.EntryEncoder;
import org.calvinseq.core.codec.ProposalLimits;
import org.calvinseq.core.metrics.SequencerCounters;
import org.calvinseq.core.metrics.SequencerMetrics;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.ClusterInit;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.routing.CollectionHashRouter;
import org.calvinseq.server.CommonPool;
import org.calvinseq.server.NodeConfig;
import org.calvinseq.server.RatisSettings;
import org.calvinseq.server.SequencerNode;
import org.calvinseq.server.ratis.EncodedEntry;
import org.calvinseq.server.ratis.SequencerStateMachine;
import org.calvinseq.server.ratis.ServerMetrics;
import org.calvinseq.testkit.FreePorts;

/**
 * The cluster load benchmark: three Ratis servers in this JVM on loopback, real disk with fsync,
 * proposals of one {@link BatchFixture} batch (1,000 txns of 100 bytes) pipelined with a fixed
 * number in flight: by default as the leader inbox proposes its epochs ({@link Epochs.Leader}:
 * grouped batches, each with its txn objects, straight to the leader's division), or, with {@code
 * --via client}, from a Raft client over gRPC (format 1 bytes, {@link Epochs.Client}). It runs the
 * same harness twice, interleaved: once over the sequencer state machine, once over a {@link
 * NoopStateMachine} that only advances its applied index (the floor), and prints entries/s, txns/s,
 * MB/s, propose-to-commit p50/p99 and this JVM's CPU (the three servers and the client together)
 * for each, plus the ratio. Each run first proposes a cluster-init entry, as a node's leader does,
 * so de-duplication is on (and grouped batches are read), and every proposal renumbers the batch's
 * client txn ids: the sequencer applies new txns each time, with its de-duplication's real cost.
 * Both state machines get the same entries, the floor ignoring their objects.
 *
 * <p>Run: {@code mvn -B -q package -DskipTests -pl benchmarks -am && java -Xmx4g -cp
 * benchmarks/target/benchmarks.jar org.calvinseq.bench.ClusterLoadBenchmark [seconds] [inflight]
 * [rounds] [options]} (defaults 15, 128, 2). Not run by CI. Options:
 *
 * <ul>
 *   <li>{@code --modes noop|sequencer|noop,sequencer}: the state machines to run, each round in
 *       this order (default both);
 *   <li>{@code --epoch-txns N}: propose, instead of the {@link BatchFixture} batch, an epoch of N
 *       txns shaped like those of {@code sequencer bench} (a client txn id, one read and one write
 *       key, a random payload), the entry the leader inbox writes for N txns of that bench;
 *   <li>{@code --txn-size BYTES}: those txns' payload (default 100, the bench's);
 *   <li>{@code --warmup SECONDS}: load before each measured run (default 3);
 *   <li>{@code --via leader|client}: how entries are proposed (default leader, above).
 * </ul>
 *
 * <p>Each run logs a line {@code result <mode> entries/s=... txns/s=... MB/s=... p50=...ms
 * p99=...ms cpu=... cores entry=... bytes txns/entry=...} (benchmarks/side-by-side.sh reads it).
 */
public final class ClusterLoadBenchmark {
  private ClusterLoadBenchmark() {}

  record Result(
      String mode,
      long entries,
      double seconds,
      long bytes,
      long p50us,
      long p99us,
      double cpuCores,
      int txnsPerEntry) {
    double entriesPerSec() {
      return entries / seconds;
    }

    @Override
    public String toString() {
      return String.format(
          Locale.ROOT,
          "%-9s entries/s=%8.1f txns/s=%10.0f MB/s=%6.1f p50=%6.1fms p99=%6.1fms cpu=%.2f cores",
          mode,
          entriesPerSec(),
          entriesPerSec() * txnsPerEntry,
          bytes / seconds / 1e6,
          p50us / 1000.0,
          p99us / 1000.0,
          cpuCores);
    }
  }

  /** The command line: positional seconds, inflight, rounds, then the options of the class doc. */
  record Options(
      int seconds,
      int inflight,
      int rounds,
      List<String> modes,
      int epochTxns,
      int txnSize,
      int warmupSeconds,
      boolean viaClient) {
    static Options parse(String[] args) {
      List<String> positional = new ArrayList<>();
      List<String> modes = List.of("noop", "sequencer");
      int epochTxns = 0;
      int txnSize = 100;
      int warmup = 3;
      String via = "leader";
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        if (!a.startsWith("--")) {
          positional.add(a);
          continue;
        }
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(a + " needs a value");
        }
        String v = args[++i];
        switch (a) {
          case "--modes" -> modes = List.of(v.split(","));
          case "--epoch-txns" -> epochTxns = Integer.parseInt(v);
          case "--txn-size" -> txnSize = Integer.parseInt(v);
          case "--warmup" -> warmup = Integer.parseInt(v);
          case "--via" -> via = v;
          default -> throw new IllegalArgumentException("unknown option " + a);
        }
      }
      for (String m : modes) {
        if (!m.equals("noop") && !m.equals("sequencer")) {
          throw new IllegalArgumentException("--modes takes noop and sequencer, not " + m);
        }
      }
      if (positional.size() > 3
          || epochTxns < 0
          || txnSize < 0
          || warmup < 0
          || !(via.equals("leader") || via.equals("client"))) {
        throw new IllegalArgumentException(
            "usage: [seconds] [inflight] [rounds] [--modes noop,sequencer] [--epoch-txns N]"
                + " [--txn-size BYTES] [--warmup SECONDS] [--via leader|client]");
      }
      return new Options(
          positional.size() > 0 ? Integer.parseInt(positional.get(0)) : 15,
          positional.size() > 1 ? Integer.parseInt(positional.get(1)) : 128,
          positional.size() > 2 ? Integer.parseInt(positional.get(2)) : 2,
          modes,
          epochTxns,
          txnSize,
          warmup,
          via.equals("client"));
    }
  }

  public static void main(String[] args) throws Exception {
    // Before anything uses the common pool, as the sequencer command does: with the 2-core default
    // (parallelism 1) Ratis's follower append starts a thread per entry (CommonPool).
    CommonPool.ensureParallelism();
    Options o = Options.parse(args);
    List<Txn> txns =
        o.epochTxns() > 0 ? benchTxns(o.epochTxns(), o.txnSize()) : new BatchFixture().batch.txns();
    int txnsPerEntry = txns.size();
    Epochs epochs =
        o.viaClient()
            ? new Epochs.Client(
                EntryEncoder.encode(EpochBatch.auto(System.currentTimeMillis(), txns)))
            : new Epochs.Leader(txns);
    long entryBytes = epochs.size();
    List<List<Result>> results = new ArrayList<>();
    o.modes().forEach(m -> results.add(new ArrayList<>()));
    for (int r = 0; r < o.rounds(); r++) {
      for (int m = 0; m < o.modes().size(); m++) {
        String mode = o.modes().get(m);
        Supplier<StateMachine> noop = mode.equals("noop") ? NoopStateMachine::new : null;
        Result result = run(mode, noop, epochs, txnsPerEntry, o);
        results.get(m).add(result);
        log(
            String.format(
                Locale.ROOT,
                "result %s entry=%d bytes txns/entry=%d",
                result,
                entryBytes,
                txnsPerEntry));
      }
    }
    StringBuilder summary =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "median of %d rounds, entry %d bytes (%d txns), %d in flight:",
                o.rounds(),
                entryBytes,
                txnsPerEntry,
                o.inflight()));
    results.forEach(rs -> summary.append(System.lineSeparator()).append("  ").append(median(rs)));
    if (results.size() == 2) {
      summary.append(
          String.format(
              Locale.ROOT,
              "%n  ratio %s/%s = %.2f",
              o.modes().get(1),
              o.modes().get(0),
              median(results.get(1)).entriesPerSec() / median(results.get(0)).entriesPerSec()));
    }
    log(summary.toString());
  }

  /**
   * The txns of an epoch of {@code txns} txns shaped like {@code sequencer bench}'s (BenchCommand:
   * one client's consecutive client txn ids, one read and one write key in 1,000 collections, a
   * tenant below 16, {@code payloadBytes} random bytes).
   */
  static List<Txn> benchTxns(int txns, int payloadBytes) {
    SplittableRandom rnd = new SplittableRandom(1);
    long clientId = rnd.nextLong();
    List<Txn> list = new ArrayList<>(txns);
    for (int i = 0; i < txns; i++) {
      byte[] payload = new byte[payloadBytes];
      rnd.nextBytes(payload);
      Key read = Key.of("c" + rnd.nextInt(1000), "k" + rnd.nextInt(1_000_000));
      Key write = Key.of("c" + rnd.nextInt(1000), "k" + rnd.nextInt(1_000_000));
      list.add(
          new Txn(
              new ClientTxnId(clientId, 1_000_000_000L + i),
              rnd.nextInt(16),
              List.of(read),
              List.of(write),
              payload));
    }
    return list;
  }

  private static Result median(List<Result> rs) {
    List<Result> sorted = new ArrayList<>(rs);
    sorted.sort(Comparator.comparingDouble(Result::entriesPerSec));
    return sorted.get(sorted.size() / 2);
  }

  /** One timed run; {@code noop == null} means the sequencer state machine. */
  static Result run(
      String mode, Supplier<StateMachine> noop, Epochs epochs, int txnsPerEntry, Options o)
      throws Exception {
    int inflight = o.inflight();
    Path dir = Files.createTempDirectory("calvinseq-bench-");
    List<RaftPeer> peers = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      peers.add(
          RaftPeer.newBuilder().setId("n" + (i + 1)).setAddress("127.0.0.1:" + freePort()).build());
    }
    RaftGroup group = Peers.group("bench", peers);
    List<AutoCloseable> closeables = new ArrayList<>();
    List<RaftServer> servers = new ArrayList<>();
    List<SequencerMetrics> replicas = new ArrayList<>();
    int vshardCount = 0;
    try {
      for (RaftPeer p : peers) {
        NodeConfig config =
            SequencerNode.builder()
                .nodeId(p.getId().toString())
                .peers(peers)
                .clusterName("bench")
                .dataDir(dir.resolve(p.getId().toString()))
                .limits(new ProposalLimits(1 << 20, 10_000, 64, 64 * 1024))
                .config();
        vshardCount = config.vshardCount();
        StateMachine sm = noop != null ? noop.get() : sequencer(config, replicas);
        RaftServer server =
            RaftServer.newBuilder()
                .setServerId(p.getId())
                .setGroup(group)
                .setProperties(RatisSettings.of(config))
                .setStateMachine(sm)
                .setOption(RaftStorage.StartupOption.RECOVER)
                .build();
        server.start();
        closeables.add(server);
        servers.add(server);
      }
      // The log starts as a node's leader starts it: with the cluster-init entry, which turns
      // de-duplication on and records the apply rules that read grouped batches (the no-op state
      // machine ignores it).
      ClusterInit init = new ClusterInit(vshardCount, "bench");
      Proposer propose;
      if (epochs instanceof Epochs.Client source) {
        RaftClient client = client(group, inflight);
        closeables.add(0, client);
        client
            .io()
            .send(Message.valueOf(UnsafeByteOperations.unsafeWrap(EntryEncoder.encode(init))));
        propose =
            () ->
                client
                    .async()
                    .send(Message.valueOf(UnsafeByteOperations.unsafeWrap(source.next())));
      } else {
        Epochs.Leader leaderEpochs = (Epochs.Leader) epochs;
        ToLeader leader = ToLeader.await(servers, group);
        leader.propose(EncodedEntry.of(init)).get(30, TimeUnit.SECONDS);
        propose = () -> leader.propose(leaderEpochs.next());
      }
      drive(propose, epochs.size(), o.warmupSeconds(), inflight);
      Raw raw = drive(propose, epochs.size(), o.seconds(), inflight);
      if (noop == null) {
        checkAllSequenced(replicas);
      }
      return raw.withMode(mode, txnsPerEntry);
    } finally {
      for (AutoCloseable c : closeables) {
        c.close();
      }
      deleteTree(dir);
    }
  }

  /**
   * Fails the run if any replica left a txn unsequenced (a duplicate or too old): the renumbering
   * of {@link Epochs.Client} would then not be giving the apply path new txns.
   */
  private static void checkAllSequenced(List<SequencerMetrics> replicas) {
    for (SequencerMetrics m : replicas) {
      SequencerCounters c = m.counters();
      long not = c.duplicates() + c.sequenceTooOld();
      if (not > 0 || c.txnsSequenced() == 0) {
        throw new IllegalStateException(
            "a replica sequenced " + c.txnsSequenced() + " txns and left " + not + " unsequenced");
      }
    }
  }

  /** The sequencer state machine of one replica; its core's metrics are added to {@code out}. */
  private static StateMachine sequencer(NodeConfig c, List<SequencerMetrics> out) {
    ServerMetrics metrics = new ServerMetrics(new SimpleMeterRegistry(), c.nodeId());
    out.add(metrics.core());
    EpochStateMachine core =
        EpochStateMachine.builder()
            .router(new CollectionHashRouter(c.vshardCount()))
            .metrics(metrics.core())
            .build();
    return new SequencerStateMachine(core, c.limits(), metrics, Runnable::run);
  }

  private static RaftClient client(RaftGroup group, int inflight) {
    RaftProperties props = new RaftProperties();
    RaftClientConfigKeys.Async.setOutstandingRequestsMax(props, inflight * 2);
    RaftClientConfigKeys.Rpc.setRequestTimeout(props, TimeDuration.valueOf(10, TimeUnit.SECONDS));
    GrpcConfigKeys.setMessageSizeMax(props, SizeInBytes.valueOf(64 << 20));
    return RaftClient.newBuilder()
        .setProperties(props)
        .setRaftGroup(group)
        .setRetryPolicy(
            RetryPolicies.retryUpToMaximumCountWithFixedSleep(
                100, TimeDuration.valueOf(100, TimeUnit.MILLISECONDS)))
        .build();
  }

  private record Raw(
      long entries, double seconds, long bytes, long p50us, long p99us, double cpuCores) {
    Result withMode(String mode, int txnsPerEntry) {
      return new Result(mode, entries, seconds, bytes, p50us, p99us, cpuCores, txnsPerEntry);
    }
  }

  /** This JVM's user plus system CPU time in nanoseconds; -1 when the OS does not say. */
  private static long cpuNanos() {
    return ProcessHandle.current().info().totalCpuDuration().map(d -> d.toNanos()).orElse(-1L);
  }

  /** Makes one proposal of the run's next entry. */
  private interface Proposer {
    CompletableFuture<?> next() throws Exception;
  }

  private static Raw drive(Proposer propose, long entryBytes, int seconds, int inflight)
      throws Exception {
    Semaphore window = new Semaphore(inflight);
    AtomicLong done = new AtomicLong();
    long[] lat = new long[4_000_000];
    AtomicLong latN = new AtomicLong();
    long cpu0 = cpuNanos();
    long start = System.nanoTime();
    long end = start + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < end) {
      window.acquire();
      long t0 = System.nanoTime();
      CompletableFuture<?> f = propose.next();
      f.whenComplete(
          (r, t) -> {
            window.release();
            if (t == null) {
              done.incrementAndGet();
              long i = latN.getAndIncrement();
              if (i < lat.length) {
                lat[(int) i] = System.nanoTime() - t0;
              }
            }
          });
    }
    window.acquire(inflight); // drain
    double secs = (System.nanoTime() - start) / 1e9;
    long cpu1 = cpuNanos();
    double cores = cpu0 < 0 || cpu1 < 0 ? Double.NaN : (cpu1 - cpu0) / 1e9 / secs;
    int n = (int) Math.min(latN.get(), lat.length);
    long[] l = Arrays.copyOf(lat, n);
    Arrays.sort(l);
    long p50 = n == 0 ? 0 : l[n / 2] / 1000;
    long p99 = n == 0 ? 0 : l[Math.min(n - 1, (int) (n * 0.99))] / 1000;
    return new Raw(done.get(), secs, done.get() * entryBytes, p50, p99, cores);
  }

  /**
   * The leader's division, taking proposals as the leader inbox's {@code LocalProposer} sends its
   * epochs: a write request of a client id of its own, straight to the division (no gRPC, no
   * hand-off to the server's client-request pool), the entry's object travelling with its bytes.
   */
  private record ToLeader(
      RaftClientAsynchronousProtocol division,
      RaftPeerId id,
      RaftGroupId group,
      ClientId client,
      AtomicLong calls) {
    static ToLeader await(List<RaftServer> servers, RaftGroup group) throws Exception {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < deadline) {
        for (RaftServer s : servers) {
          RaftServer.Division d = s.getDivision(group.getGroupId());
          if (d.getInfo().isLeaderReady() && d instanceof RaftClientAsynchronousProtocol p) {
            return new ToLeader(
                p, s.getId(), group.getGroupId(), ClientId.randomId(), new AtomicLong());
          }
        }
        Thread.sleep(50);
      }
      throw new IllegalStateException("no ready leader in 60 s");
    }

    /** Completes with the reply, or exceptionally when the leader refused the entry. */
    CompletableFuture<RaftClientReply> propose(Message entry) throws IOException {
      RaftClientRequest request =
          RaftClientRequest.newBuilder()
              .setClientId(client)
              .setServerId(id)
              .setGroupId(group)
              .setCallId(calls.incrementAndGet())
              .setMessage(entry)
              .setType(RaftClientRequest.writeRequestType())
              .build();
      return division
          .submitClientRequestAsync(request)
          .thenApply(
              r -> {
                if (!r.isSuccess()) {
                  throw new IllegalStateException("the leader refused an entry", r.getException());
                }
                return r;
              });
    }
  }

  private static int freePort() throws IOException {
    return FreePorts.pick("127.0.0.1");
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private static void log(String line) {
    org.slf4j.LoggerFactory.getLogger(ClusterLoadBenchmark.class).info(line);
  }
}
