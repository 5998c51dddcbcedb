package org.calvinseq.bench;

import java.util.concurrent.TimeUnit;
import org.calvinseq.core.apply.ApplyResult;
import org.calvinseq.core.apply.EpochStateMachine;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.queue.VShardQueue;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The whole apply path for one committed entry: {@link EpochStateMachine#apply} decodes the {@link
 * BatchFixture} batch (1,000 txns of 100 bytes), takes the next epoch, computes each txn's
 * participating vshards and offers one {@code SequencedTxn} to each of its 2 vshard queues (2,000
 * deliveries). All 16 vshards the batch touches have a live subscribed queue. The queues are
 * drained in the same invocation (2,000 polls, included in the time) so they never fill. One
 * operation is one txn, so the score is txns per second on one thread.
 *
 * <p>Run (after {@code mvn -o -q package -pl benchmarks -am -DskipTests}):
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar ApplyBenchmark -prof gc
 * </pre>
 *
 * With {@code -prof gc}, {@code gc.alloc.rate.norm} is bytes allocated per txn; subtract the decode
 * benchmark's figure to get what the fan-out itself allocates (one {@code SequencedTxn} per txn).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class ApplyBenchmark {
  private BatchFixture fixture;
  private EpochStateMachine machine;
  private VShardQueue[] queues;
  private long index;

  @Setup
  public void setUp() {
    fixture = new BatchFixture();
    machine =
        EpochStateMachine.builder()
            .router(fixture.router)
            .epochRetention(16_384)
            .queueCapacity(4_096)
            .build();
    int[] vshards = fixture.participatingVShards();
    queues = new VShardQueue[vshards.length];
    for (int i = 0; i < vshards.length; i++) {
      queues[i] = machine.subscriptions().subscribe(vshards[i]);
    }
    // A new queue starts behind: the first epoch goes to replay, then the consumer asks to resume.
    applyOnce();
    for (VShardQueue q : queues) {
      q.requestResume(machine.lastAppliedEpoch());
    }
    ApplyResult r = applyOnce();
    int delivered = drain();
    if (r.kind() != ApplyResult.Kind.APPLIED || delivered != 2 * BatchFixture.TXNS) {
      throw new IllegalStateException("expected 2000 live deliveries, got " + delivered + ": " + r);
    }
  }

  @Benchmark
  @OperationsPerInvocation(BatchFixture.TXNS)
  public int applyAndFanOut() {
    ApplyResult.Sequenced r = (ApplyResult.Sequenced) applyOnce();
    return r.txnCount() + drain();
  }

  private ApplyResult applyOnce() {
    return machine.apply(++index, fixture.encoded);
  }

  private int drain() {
    int n = 0;
    for (VShardQueue q : queues) {
      SequencedTxn t;
      while ((t = q.poll()) != null) {
        n += t.position() >= 0 ? 1 : 0;
      }
    }
    return n;
  }
}
