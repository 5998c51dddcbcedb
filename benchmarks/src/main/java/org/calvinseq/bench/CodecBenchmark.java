package org.calvinseq.bench;

import java.util.concurrent.TimeUnit;
import org.calvinseq.core.codec.CodecException;
import org.calvinseq.core.codec.EntryDecoder;
import org.calvinseq.core.codec.EntryEncoder;
import org.calvinseq.core.model.SequencerEntry;
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
 * Decode and encode of one {@link BatchFixture} batch: 1,000 txns of 100 encoded bytes (about 100
 * KB). One operation is one txn, so the score is txns per second on one thread.
 *
 * <p>Run (after {@code mvn -o -q package -pl benchmarks -am -DskipTests}):
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar CodecBenchmark -prof gc
 * </pre>
 *
 * With {@code -prof gc}, {@code gc.alloc.rate.norm} is bytes allocated per txn. See {@code
 * docs/performance.md} for the figures and the machine they were measured on.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class CodecBenchmark {
  private BatchFixture fixture;
  private EntryDecoder decoder;
  private EntryDecoder groupedDecoder;

  @Setup
  public void setUp() throws CodecException {
    fixture = new BatchFixture();
    decoder = new EntryDecoder();
    groupedDecoder = new EntryDecoder().readGrouped(true);
    if (!decoder.decode(fixture.encoded).equals(fixture.batch)
        || !groupedDecoder.decode(fixture.groupedEncoded).equals(fixture.groupedBatch)) {
      throw new IllegalStateException("fixture batch does not round-trip");
    }
  }

  /** Bytes to {@code EpochBatch}: the first step of every apply. */
  @Benchmark
  @OperationsPerInvocation(BatchFixture.TXNS)
  public SequencerEntry decode() throws CodecException {
    return decoder.decode(fixture.encoded);
  }

  /** {@code EpochBatch} to bytes: what a leader does for each proposal. */
  @Benchmark
  @OperationsPerInvocation(BatchFixture.TXNS)
  public byte[] encode() {
    return EntryEncoder.encode(fixture.batch);
  }

  /**
   * A grouped batch (the leader's epochs, docs/wire-format.md 3a) to {@code EpochBatch}: what the
   * followers' apply decodes, {@value BatchFixture#GROUPS} groups of consecutive client txn ids.
   */
  @Benchmark
  @OperationsPerInvocation(BatchFixture.TXNS)
  public SequencerEntry decodeGrouped() throws CodecException {
    return groupedDecoder.decode(fixture.groupedEncoded);
  }

  /** The same batch encoded grouped. */
  @Benchmark
  @OperationsPerInvocation(BatchFixture.TXNS)
  public byte[] encodeGrouped() {
    return EntryEncoder.encodeGrouped(fixture.groupedBatch);
  }
}
