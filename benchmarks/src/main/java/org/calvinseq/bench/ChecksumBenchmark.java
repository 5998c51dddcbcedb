package org.calvinseq.bench;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import java.util.zip.Checksum;
import org.apache.ratis.util.PureJavaCrc32C;
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
 * The Raft log's checksum: Ratis computes a CRC32C of every log entry it writes with its own {@code
 * PureJavaCrc32C}, over the direct buffer the entry is written into (hard-coded in {@code
 * SegmentedRaftLogOutputStream}). This compares it with the JDK's {@link CRC32C}, which computes
 * the same checksum with the processor's CRC instructions, on an entry the size of one 1,000-txn
 * epoch of the {@code bench} load (158 encoded bytes per txn). One operation is one byte, so the
 * score is bytes per second on one thread.
 *
 * <p>Run (after {@code mvn -o -q package -pl benchmarks -am -DskipTests}):
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar ChecksumBenchmark
 * </pre>
 *
 * See {@code docs/performance.md}, "What is left", for why the figure matters and what could use
 * it.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class ChecksumBenchmark {
  /** One 1,000-txn epoch of the bench load, as the log writes it. */
  static final int ENTRY_BYTES = 158_000;

  private final ByteBuffer entry = ByteBuffer.allocateDirect(ENTRY_BYTES);
  private final PureJavaCrc32C ratis = new PureJavaCrc32C();
  private final CRC32C jdk = new CRC32C();

  @Setup
  public void setUp() {
    byte[] bytes = new byte[ENTRY_BYTES];
    new SplittableRandom(14).nextBytes(bytes);
    entry.put(bytes).flip();
    if (ratis() != jdk()) {
      throw new IllegalStateException("the two checksums differ: " + ratis() + " " + jdk());
    }
  }

  /** What Ratis's log writer computes for each entry. */
  @Benchmark
  @OperationsPerInvocation(ENTRY_BYTES)
  public long ratis() {
    return checksum(ratis);
  }

  /** The same checksum from the JDK. */
  @Benchmark
  @OperationsPerInvocation(ENTRY_BYTES)
  public long jdk() {
    return checksum(jdk);
  }

  /** {@code c}'s checksum of the entry; both override {@link Checksum#update(ByteBuffer)}. */
  private long checksum(Checksum c) {
    c.reset();
    c.update(entry.duplicate());
    return c.getValue();
  }
}
