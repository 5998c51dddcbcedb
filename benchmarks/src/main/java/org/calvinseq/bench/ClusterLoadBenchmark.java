package org.calvinseq.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
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
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachine;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.calvinseq.client.Peers;
import org.calvinseq.core.apply.EpochStateMachine;
import org.calvinseq.core.codec.ProposalLimits;
import org.calvinseq.core.routing.CollectionHashRouter;
import org.calvinseq.server.NodeConfig;
import org.calvinseq.server.RatisSettings;
import org.calvinseq.server.SequencerNode;
import org.calvinseq.server.ratis.SequencerStateMachine;
import org.calvinseq.server.ratis.ServerMetrics;
import org.calvinseq.testkit.FreePorts;

/**
 * The cluster load benchmark: three Ratis servers in this JVM on loopback, real disk with fsync,
 * proposals of one {@link BatchFixture} batch (1,000 txns of 100 bytes) pipelined from one client
 * with a fixed number in flight. It runs the same harness twice, interleaved: once over the
 * sequencer state machine, once over a {@link NoopStateMachine} that only advances its applied
 * index (the floor), and prints entries/s, txns/s, MB/s and propose-to-commit p50/p99 for each,
 * plus the ratio.
 *
 * <p>Run: {@code mvn -B -q package -DskipTests -pl benchmarks -am && java -Xmx4g -cp
 * benchmarks/target/benchmarks.jar org.calvinseq.bench.ClusterLoadBenchmark [seconds] [inflight]
 * [rounds]} (defaults 15, 128, 2). Not run by CI.
 */
public final class ClusterLoadBenchmark {
  private ClusterLoadBenchmark() {}

  record Result(String mode, long entries, double seconds, long bytes, long p50us, long p99us) {
    double entriesPerSec() {
      return entries / seconds;
    }

    @Override
    public String toString() {
      return String.format(
          Locale.ROOT,
          "%-9s entries/s=%8.1f txns/s=%10.0f MB/s=%6.1f p50=%6.1fms p99=%6.1fms",
          mode,
          entriesPerSec(),
          entriesPerSec() * BatchFixture.TXNS,
          bytes / seconds / 1e6,
          p50us / 1000.0,
          p99us / 1000.0);
    }
  }

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
    int inflight = args.length > 1 ? Integer.parseInt(args[1]) : 128;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 2;
    byte[] entry = new BatchFixture().encoded;
    List<Result> seq = new ArrayList<>();
    List<Result> noop = new ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      noop.add(run("noop", NoopStateMachine::new, entry, seconds, inflight));
      seq.add(run("sequencer", null, entry, seconds, inflight));
      log(noop.get(r).toString());
      log(seq.get(r).toString());
    }
    Result s = median(seq);
    Result n = median(noop);
    log(
        String.format(
            Locale.ROOT,
            "median of %d rounds, entry %d bytes, %d in flight:%n  %s%n  %s%n  ratio sequencer/noop = %.2f",
            rounds,
            entry.length,
            inflight,
            n,
            s,
            s.entriesPerSec() / n.entriesPerSec()));
  }

  private static Result median(List<Result> rs) {
    List<Result> sorted = new ArrayList<>(rs);
    sorted.sort(Comparator.comparingDouble(Result::entriesPerSec));
    return sorted.get(sorted.size() / 2);
  }

  /** One timed run; {@code noop == null} means the sequencer state machine. */
  static Result run(
      String mode, Supplier<StateMachine> noop, byte[] entry, int seconds, int inflight)
      throws Exception {
    Path dir = Files.createTempDirectory("calvinseq-bench-");
    List<RaftPeer> peers = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      peers.add(
          RaftPeer.newBuilder().setId("n" + (i + 1)).setAddress("127.0.0.1:" + freePort()).build());
    }
    RaftGroup group = Peers.group("bench", peers);
    List<AutoCloseable> closeables = new ArrayList<>();
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
        StateMachine sm = noop != null ? noop.get() : sequencer(config);
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
      }
      try (RaftClient client = client(group, inflight)) {
        // Warm up and wait for a leader.
        client.io().send(Message.valueOf(UnsafeByteOperations.unsafeWrap(entry)));
        drive(client, entry, 3, inflight);
        return drive(client, entry, seconds, inflight).withMode(mode);
      }
    } finally {
      for (AutoCloseable c : closeables) {
        c.close();
      }
      deleteTree(dir);
    }
  }

  private static StateMachine sequencer(NodeConfig c) {
    ServerMetrics metrics =
        new ServerMetrics(
            new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), c.nodeId());
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

  private record Raw(long entries, double seconds, long bytes, long p50us, long p99us) {
    Result withMode(String mode) {
      return new Result(mode, entries, seconds, bytes, p50us, p99us);
    }
  }

  private static Raw drive(RaftClient client, byte[] entry, int seconds, int inflight)
      throws InterruptedException {
    Semaphore window = new Semaphore(inflight);
    AtomicLong done = new AtomicLong();
    long[] lat = new long[4_000_000];
    AtomicLong latN = new AtomicLong();
    long start = System.nanoTime();
    long end = start + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < end) {
      window.acquire();
      long t0 = System.nanoTime();
      CompletableFuture<?> f =
          client.async().send(Message.valueOf(UnsafeByteOperations.unsafeWrap(entry)));
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
    int n = (int) Math.min(latN.get(), lat.length);
    long[] l = Arrays.copyOf(lat, n);
    Arrays.sort(l);
    long p50 = n == 0 ? 0 : l[n / 2] / 1000;
    long p99 = n == 0 ? 0 : l[Math.min(n - 1, (int) (n * 0.99))] / 1000;
    return new Raw(done.get(), secs, done.get() * entry.length, p50, p99);
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
