package org.calvinseq.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.calvinseq.client.SequencerClient;
import org.calvinseq.client.SequencerClientBuilder;
import org.calvinseq.core.codec.EntryEncoder;
import org.calvinseq.core.concurrent.DaemonThreads;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.model.TxnId;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code sequencer bench}: a load generator. {@code --clients} senders share {@code
 * --client-instances} clients (sender i uses client i mod N; one by default) and send generated
 * txns, through {@code submit} (each client batches its senders' txns) or {@code propose} (each
 * sender builds batches of {@code --batch-size}). Many instances with small batches are the fan-in
 * case: many clients, each sending little, which the leader inbox gathers into shared epochs. Each
 * sender runs on its own thread, or, with {@code --drivers}, a few threads send every sender's
 * steps ({@link SendLoop}). Latency is submit (or propose) to receipt of each txn; with {@code
 * --rate} it is measured from the moment the txn was due, so a stalled cluster shows in the latency
 * instead of slowing the load (no coordinated omission); what fell due in the warm-up and was not
 * sent by its end is skipped ({@link Pacer}). With {@code --metrics-url} and {@code --cpu-pid} the
 * summary also gives what the cluster did in the measured window ({@link ClusterProbe}); it always
 * gives the bench process's own CPU over that window, in cores and per txn.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    versionProvider = SequencerCli.Version.class,
    description = {
      "Sends generated txns for --duration (after --warmup) and prints a progress line every"
          + " second and a summary line: txns/s, MB/s and submit-to-commit latency percentiles.",
      "Exit status: 0 when every txn was sequenced, 1 when some failed."
    })
final class BenchCommand implements Callable<Integer> {
  /** How txns reach the client. */
  enum Mode {
    submit,
    propose
  }

  @Spec CommandSpec spec;

  @Mixin ClientOptions client;

  @Option(
      names = "--mode",
      defaultValue = "submit",
      description = "submit or propose. Default: ${DEFAULT-VALUE}.")
  Mode mode;

  @Option(
      names = "--clients",
      defaultValue = "4",
      paramLabel = "N",
      description =
          "Senders: each sends steps of --batch-size txns, on its own thread unless --drivers"
              + " is given. Default: ${DEFAULT-VALUE}.")
  int clients;

  @Option(
      names = "--drivers",
      defaultValue = "0",
      paramLabel = "N",
      description =
          "Threads that send the --clients senders' steps (sender i on thread i mod N), each"
              + " sending every step that fell due when it wakes, at most once per --tick when"
              + " paced, without blocking; 0 for a thread per sender, each sleeping until its own"
              + " next step. At most --clients. Default: ${DEFAULT-VALUE}.")
  int drivers;

  @Option(
      names = "--tick",
      defaultValue = "1ms",
      converter = Durations.class,
      description =
          "With --drivers and --rate: the least time between two wake-ups of a driver thread."
              + " Default: ${DEFAULT-VALUE}.")
  Duration tick;

  @Option(
      names = "--client-instances",
      defaultValue = "1",
      paramLabel = "N",
      description =
          "Separate clients (each with its own connections, batcher and in-flight limits) that"
              + " the threads share: thread i uses client i mod N. At most --clients."
              + " Default: ${DEFAULT-VALUE}.")
  int clientInstances;

  @Option(
      names = "--batch-size",
      defaultValue = "1000",
      paramLabel = "TXNS",
      description =
          "Txns per batch: the batcher's limit (submit) or each proposal's size (propose). Default: ${DEFAULT-VALUE}.")
  int batchSize;

  @Option(
      names = "--submit-all",
      description =
          "Submit mode: send each step's txns through one submitAll call instead of one submit"
              + " call per txn. Default: off.")
  boolean submitAll;

  @Option(
      names = "--direct-callbacks",
      description =
          "Complete the clients' futures on the thread that read each answer"
              + " (callbackExecutor(Runnable::run)) instead of each client's callback thread."
              + " Default: off.")
  boolean directCallbacks;

  @Option(
      names = "--txn-size",
      defaultValue = "100",
      paramLabel = "BYTES",
      description = "Payload bytes per txn. Default: ${DEFAULT-VALUE}.")
  int txnSize;

  @Option(
      names = "--duration",
      defaultValue = "30s",
      converter = Durations.class,
      description = "How long to measure. Default: ${DEFAULT-VALUE}.")
  Duration duration;

  @Option(
      names = "--warmup",
      defaultValue = "3s",
      converter = Durations.class,
      description = "Load before measuring starts (not in the summary). Default: ${DEFAULT-VALUE}.")
  Duration warmup;

  @Option(
      names = "--rate",
      defaultValue = "0",
      paramLabel = "TXNS_PER_S",
      description =
          "Target rate over all threads; 0 for as fast as possible. Each thread sends --batch-size"
              + " txns at a time at that pace (in submit mode too, so a paced batch is as full as"
              + " an unpaced one). Default: ${DEFAULT-VALUE}.")
  long rate;

  @Option(
      names = "--max-outstanding",
      defaultValue = "2500",
      paramLabel = "TXNS",
      description = "Most unanswered txns per sender. Default: ${DEFAULT-VALUE}.")
  int maxOutstanding;

  @Option(
      names = "--linger",
      defaultValue = "2ms",
      converter = Durations.class,
      description = "The batcher's linger (submit mode). Default: ${DEFAULT-VALUE}.")
  Duration linger;

  @Option(
      names = "--max-in-flight",
      defaultValue = "32",
      paramLabel = "N",
      description = "Most proposals unanswered. Default: ${DEFAULT-VALUE}.")
  int maxInFlight;

  @Option(
      names = "--max-in-flight-batches",
      defaultValue = "16",
      paramLabel = "N",
      description =
          "Most submit batches unanswered; beyond --eager-in-flight-batches only full batches go"
              + " (submit mode). Default: ${DEFAULT-VALUE}.")
  int maxInFlightBatches;

  @Option(
      names = "--eager-in-flight-batches",
      defaultValue = "4",
      paramLabel = "N",
      description =
          "Most submit batches unanswered when one that is not full may go at its linger; while"
              + " that many wait, the next batch keeps filling (submit mode)."
              + " Default: ${DEFAULT-VALUE}.")
  int eagerInFlightBatches;

  @Option(
      names = "--collections",
      defaultValue = "1000",
      paramLabel = "N",
      description = "Distinct collections keys are drawn from. Default: ${DEFAULT-VALUE}.")
  int collections;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of the generated txns.")
  long seed;

  @Option(
      names = "--metrics-url",
      paramLabel = "URL",
      description =
          "A node's admin endpoint (e.g. http://127.0.0.1:9464), scraped at both ends of the"
              + " measured window: the summary then gives entries (epochs) applied per second and"
              + " txns per epoch. Default: none.")
  String metricsUrl;

  @Option(
      names = "--cpu-pid",
      paramLabel = "PID",
      split = ",",
      description =
          "Local processes (the cluster's JVM, e.g. of local-cluster, or each member's) whose"
              + " CPU time over the measured window the summary gives, added up, in cores and per"
              + " entry; comma-separated or repeated. Default: none.")
  List<Long> cpuPids; // null when not given

  // Each txn's latency from its step's due time, and from when it was handed to the client: the
  // two differ by how late this process sent it (its own scheduling and pauses), for paced runs.
  private final Latencies fromDue = new Latencies();
  private final Latencies fromSend = new Latencies();
  private final LongAdder done = new LongAdder();
  private final LongAdder errors = new LongAdder();
  private final LongAdder unanswered = new LongAdder();
  private final AtomicReference<String> firstError = new AtomicReference<>();
  private volatile boolean stop;
  private ClusterProbe probe;
  private ClusterProbe.Reading probeStart;
  private ClusterProbe.Reading probeEnd;
  private Duration clientCpuStart;
  private Duration clientCpuEnd;

  @Override
  public Integer call() throws IOException, InterruptedException {
    if (clients < 1
        || clientInstances < 1
        || clientInstances > clients
        || batchSize < 1
        || txnSize < 0
        || rate < 0
        || maxOutstanding < batchSize
        || drivers < 0
        || drivers > clients
        || tick.isNegative()) {
      throw new ParameterException(
          spec.commandLine(),
          "need --clients >= 1, 1 <= --client-instances <= --clients, --batch-size >= 1,"
              + " --txn-size >= 0, --rate >= 0, --max-outstanding >= --batch-size,"
              + " 0 <= --drivers <= --clients and --tick >= 0");
    }
    if (metricsUrl != null) {
      try {
        ClusterProbe.metricsUri(metricsUrl);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), "bad --metrics-url: " + e.getMessage());
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    int txnBytes = encodedSize(templates(new SplittableRandom(seed)).get(0));
    probe = new ClusterProbe(metricsUrl, cpuPids == null ? List.of() : cpuPids);
    List<SequencerClient> instances = new ArrayList<>(clientInstances);
    try {
      for (int i = 0; i < clientInstances; i++) {
        // Threads i, i + N, i + 2N... share instance i.
        int threadsOnIt = (clients - i + clientInstances - 1) / clientInstances;
        SequencerClientBuilder b =
            client
                .builder()
                .maxBatchTxns(batchSize)
                .linger(linger)
                .maxInFlight(maxInFlight)
                .maxInFlightBatches(maxInFlightBatches)
                .eagerInFlightBatches(eagerInFlightBatches)
                .maxBufferedTxns(Math.max(batchSize, threadsOnIt * maxOutstanding));
        if (directCallbacks) {
          b.callbackExecutor(Runnable::run);
        }
        instances.add(b.build());
      }
      List<Thread> threads = new ArrayList<>();
      long loadStart = System.nanoTime();
      windowFrom = loadStart + warmup.toNanos();
      int threadCount = drivers == 0 ? clients : drivers;
      List<List<Sender>> perThread = new ArrayList<>(threadCount);
      List<SendLoop.Waker> wakers = new ArrayList<>(threadCount);
      for (int t = 0; t < threadCount; t++) {
        perThread.add(new ArrayList<>());
        wakers.add(new SendLoop.Waker());
      }
      for (int i = 0; i < clients; i++) {
        int t = i % threadCount;
        perThread
            .get(t)
            .add(new Sender(instances.get(i % clientInstances), i, loadStart, wakers.get(t)));
      }
      // Unpaced senders have no due times to gather into ticks: answers wake their threads.
      long tickNanos = drivers > 0 && rate > 0 ? tick.toNanos() : 0;
      for (int t = 0; t < threadCount; t++) {
        List<Sender> mine = perThread.get(t);
        SendLoop.Waker waker = wakers.get(t);
        threads.add(
            DaemonThreads.start(
                "bench-" + t, () -> SendLoop.run(mine, tickNanos, waker, () -> stop)));
      }
      measure(out, txnBytes);
      stop = true;
      long deadline = System.nanoTime() + client.timeout.plusSeconds(5).toNanos();
      for (Thread t : threads) {
        t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      }
      while (unanswered.sum() > 0 && System.nanoTime() < deadline) {
        TimeUnit.MILLISECONDS.sleep(5); // let the txns sent before the end be answered
      }
      summary(out, txnBytes);
    } finally {
      closeAll(instances);
    }
    if (firstError.get() != null) {
      spec.commandLine().getErr().println("error: first failure: " + firstError.get());
      spec.commandLine().getErr().flush();
    }
    return errors.sum() == 0 ? CommandLine.ExitCode.OK : CommandLine.ExitCode.SOFTWARE;
  }

  /** Closes the clients at once: each may wait seconds for its channels to drain. */
  private static void closeAll(List<SequencerClient> instances)
      throws IOException, InterruptedException {
    List<IOException> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<Thread> closing = new ArrayList<>();
    for (SequencerClient c : instances) {
      closing.add(
          DaemonThreads.start(
              "bench-close",
              () -> {
                try {
                  c.close();
                } catch (IOException e) {
                  failures.add(e);
                }
              }));
    }
    for (Thread t : closing) {
      t.join();
    }
    if (!failures.isEmpty()) {
      IOException first = failures.get(0);
      failures.subList(1, failures.size()).forEach(first::addSuppressed);
      throw first;
    }
  }

  private long measuredTxns;
  private double measuredSeconds;
  // When the measured window starts (System.nanoTime()); written before the load threads start.
  private long windowFrom;

  /** Prints a line a second; the latencies recorded after the warmup add up in the totals. */
  private void measure(PrintWriter out, int txnBytes) throws InterruptedException {
    long measureFrom = windowFrom;
    long start = measureFrom - warmup.toNanos();
    long end = measureFrom + duration.toNanos();
    long measureStart = -1;
    long doneAtStart = 0;
    long last = start;
    long lastDone = 0;
    if (last >= measureFrom) { // no warmup: the window starts now
      clientCpuStart = ClusterProbe.ownCpu();
      if (probe.active()) {
        probeStart = probe.read();
      }
    } else if (probe.active()) {
      // A first scrape runs cold code in both JVMs (the node's registry and HTTP path, this JVM's
      // HttpClient): taken at the window's start on a loaded machine, it stalled the load for up
      // to 2 s there. One during the warm-up leaves the window's scrapes warm.
      probe.read();
    }
    for (int second = 1; ; second++) {
      long next = Math.min(end, start + TimeUnit.SECONDS.toNanos(second));
      long now = System.nanoTime();
      if (next > now) {
        TimeUnit.NANOSECONDS.sleep(next - now);
      }
      now = System.nanoTime();
      long d = done.sum();
      boolean measuring = last >= measureFrom;
      Histogram interval = fromDue.interval(measuring);
      fromSend.interval(measuring);
      if (measuring && measureStart < 0) {
        measureStart = last;
        doneAtStart = lastDone;
      }
      double perSec = (d - lastDone) / ((now - last) / 1e9);
      out.printf(
          Locale.ROOT,
          "%5.0fs %-8s %,10.0f txn/s %7.1f MB/s  p50 %7.2f ms  p99 %7.2f ms  errors %d%n",
          (now - start) / 1e9,
          measuring ? "" : "(warmup)",
          perSec,
          perSec * txnBytes / 1e6,
          interval.getValueAtPercentile(50) / 1000.0,
          interval.getValueAtPercentile(99) / 1000.0,
          errors.sum());
      out.flush();
      last = now;
      lastDone = d;
      if (clientCpuStart == null && last >= measureFrom && now < end) {
        clientCpuStart = ClusterProbe.ownCpu(); // the measured window starts at this line
      }
      if (probe.active() && probeStart == null && last >= measureFrom && now < end) {
        probeStart = probe.read();
      }
      if (now >= end) {
        clientCpuEnd = ClusterProbe.ownCpu();
        if (probe.active()) {
          probeEnd = probe.read();
        }
        measuredTxns = d - doneAtStart;
        measuredSeconds = measureStart < 0 ? 0 : (now - measureStart) / 1e9;
        return;
      }
    }
  }

  private void summary(PrintWriter out, int txnBytes) {
    Histogram h = fromDue.total();
    Histogram sent = fromSend.total();
    double perSec = measuredSeconds > 0 ? measuredTxns / measuredSeconds : 0;
    out.printf(
        Locale.ROOT,
        "summary mode=%s clients=%d client-instances=%d batch-size=%d txn-size=%d rate=%s"
            + " duration=%.1fs: %,d txns, %,.0f txn/s, %.1f MB/s, latency p50 %.2f ms p99 %.2f ms"
            + " p99.9 %.2f ms max %.2f ms,%s %s, errors %d%s%n",
        mode,
        clients,
        clientInstances,
        batchSize,
        txnSize,
        rate == 0 ? "max" : Long.toString(rate),
        measuredSeconds,
        measuredTxns,
        perSec,
        perSec * txnBytes / 1e6,
        h.getValueAtPercentile(50) / 1000.0,
        h.getValueAtPercentile(99) / 1000.0,
        h.getValueAtPercentile(99.9) / 1000.0,
        h.getMaxValue() / 1000.0,
        probeStart == null || probeEnd == null
            ? ""
            : " " + ClusterProbe.describe(probeStart, probeEnd, measuredSeconds) + ",",
        ClusterProbe.describeClient(clientCpuStart, clientCpuEnd, measuredSeconds, measuredTxns),
        errors.sum(),
        rate == 0
            ? ""
            : String.format(
                Locale.ROOT,
                ", from send p50 %.2f ms p99 %.2f ms p99.9 %.2f ms",
                sent.getValueAtPercentile(50) / 1000.0,
                sent.getValueAtPercentile(99) / 1000.0,
                sent.getValueAtPercentile(99.9) / 1000.0));
    out.flush();
  }

  /**
   * One sender. It sends {@code batchSize} txns per step: one proposal (propose mode) or that many
   * submits back to back (or, {@code --submit-all}, one {@code submitAll} of them), which the
   * batcher puts in one batch (submit mode). Paced, the steps are due every {@code batchSize} txn
   * intervals, the senders' first steps spread evenly over one interval, and each txn's latency
   * counts from its step's due time, so a bench that falls behind shows it as latency; steps still
   * unsent when the warm-up ends are skipped, so the window starts on schedule. Pacing txn by txn
   * would send a paced submitter's txns one per batch (each alone past the linger): another load
   * altogether, and a sleep per txn.
   */
  private final class Sender implements SendLoop.Sender {
    private final SequencerClient c;
    private final List<Txn> pool;
    private final long clientId;
    private final Pacer pacer;
    private final SendLoop.Waker waker;
    private final AtomicInteger outstanding = new AtomicInteger();
    private long seq;

    Sender(SequencerClient c, int index, long loadStart, SendLoop.Waker waker) {
      this.c = c;
      this.waker = waker;
      SplittableRandom rnd = new SplittableRandom(seed * 31 + index);
      pool = templates(rnd);
      clientId = rnd.nextLong();
      long interval = rate == 0 ? 0 : Math.max(1, 1_000_000_000L * clients / rate) * batchSize;
      pacer =
          interval > 0
              ? new Pacer(loadStart + interval * index / clients, interval, windowFrom)
              : null;
    }

    @Override
    public long waitNanos(long now) {
      return pacer == null ? 0 : pacer.waitNanos(now);
    }

    @Override
    public boolean hasRoom() {
      return outstanding.get() <= maxOutstanding - batchSize;
    }

    @Override
    public void send(long now) {
      long t0 = pacer != null ? pacer.take() : now;
      long sent = System.nanoTime();
      int step = batchSize;
      outstanding.addAndGet(step);
      unanswered.add(step);
      if (mode == Mode.submit && !submitAll) {
        for (int i = 0; i < step; i++) {
          account(c.submit(pool.get((int) (seq++ & (pool.size() - 1)))), 1, t0, sent);
        }
      } else if (mode == Mode.submit) {
        List<Txn> txns = new ArrayList<>(step);
        for (int i = 0; i < step; i++) {
          txns.add(pool.get((int) (seq++ & (pool.size() - 1))));
        }
        for (CompletableFuture<TxnId> f : c.submitAll(txns)) {
          account(f, 1, t0, sent);
        }
      } else {
        List<Txn> txns = new ArrayList<>(step);
        for (int i = 0; i < step; i++, seq++) {
          Txn t = pool.get((int) (seq & (pool.size() - 1)));
          txns.add(
              new Txn(
                  new ClientTxnId(clientId, seq),
                  t.tenantId(),
                  t.readSet(),
                  t.writeSet(),
                  t.payload()));
        }
        account(c.propose(EpochBatch.auto(System.currentTimeMillis(), txns)), step, t0, sent);
      }
    }

    /**
     * When {@code f} completes: its {@code txns} back under the limit, its latency (from the step's
     * due time {@code t0}, and from {@code sent}, when it was handed to the client) or error.
     */
    private void account(CompletableFuture<?> f, int txns, long t0, long sent) {
      f.whenComplete(
          (r, t) -> {
            outstanding.addAndGet(-txns);
            waker.answered();
            unanswered.add(-txns);
            if (t != null) {
              errors.add(txns);
              firstError.compareAndSet(
                  null, String.valueOf(t.getCause() != null ? t.getCause() : t));
              return;
            }
            long now = System.nanoTime();
            fromDue.record(t0, now, txns);
            fromSend.record(sent, now, txns);
            done.add(txns);
          });
    }
  }

  private List<Txn> templates(SplittableRandom rnd) {
    List<Txn> out = new ArrayList<>(1024);
    for (int i = 0; i < 1024; i++) {
      byte[] payload = new byte[txnSize];
      rnd.nextBytes(payload);
      Key read = Key.of("c" + rnd.nextInt(collections), "k" + rnd.nextInt(1_000_000));
      Key write = Key.of("c" + rnd.nextInt(collections), "k" + rnd.nextInt(1_000_000));
      out.add(new Txn(null, rnd.nextInt(16), List.of(read), List.of(write), payload));
    }
    return out;
  }

  /** The bytes one txn takes in the log, with the client txn id the client adds. */
  private static int encodedSize(Txn t) {
    return EntryEncoder.txnSize(
        new Txn(new ClientTxnId(-1, -1), t.tenantId(), t.readSet(), t.writeSet(), t.payload()));
  }
}
