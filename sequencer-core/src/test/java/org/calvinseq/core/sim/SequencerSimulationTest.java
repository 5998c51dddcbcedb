package org.calvinseq.core.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.calvinseq.core.codec.WireFormat;
import org.calvinseq.core.dedupe.DedupeLimits;
import org.calvinseq.core.testing.ExactlyOnceChecker;
import org.calvinseq.core.testing.ReferenceModel;
import org.calvinseq.core.testing.RetryingClients;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * A seeded, deterministic simulation of the sequencing layer, after Kafka's {@code
 * RaftEventSimulationTest}: several replicas apply one growing committed log at their own pace;
 * each hosts some vshards whose consumers (the storage engine's schedulers) poll, stall until their
 * small queues overflow, catch up through their replica's replay, go offline and come back, and
 * whole replicas crash and restart from their latest snapshot (fresh state machine, restore,
 * consumers re-subscribed at the engine's last processed txn, which is often inside an epoch).
 *
 * <p>After every step it checks: every replica's state after applying the first {@code k} entries
 * is the same (so a restored replica equals one that never stopped); a replica's epochs only rise
 * while it runs; queues never hold more than their capacity; every txn a consumer receives is the
 * next one of its vshard's reference stream (so streams are identical across replicas, each txn
 * arrives once, in (epoch, position) order). At the end every replica has applied the whole log and
 * every consumer's stream equals the reference computed from the log by {@link ReferenceModel}.
 *
 * <p>Exactly-once (docs/wire-format.md section 9a): {@link RetryingClients} propose batches with
 * client txn ids; a proposal may be lost before commit, or committed while its leader dies before
 * replying, and the client proposes the same txns again, often much later, across restarts and
 * snapshot installs. After every step the {@link ExactlyOnceChecker} checks that no client txn id
 * was sequenced twice (deliveries on every replica and receipts agree on one id), that every
 * acknowledged txn is in the stream of every consumer past it, and every replica's receipt for an
 * entry equals the leader's. Further seeds run with tiny de-duplication windows, so that clients
 * are forgotten and sequences refused as too old; there only the retries' determinism and the
 * checker's lenient claims are checked, since a forgotten client's retry is new by design. {@link
 * #theCheckerCatchesATxnSequencedTwice} shows the checker fails when de-duplication forgets too
 * soon.
 *
 * <p>A failure names its seed. To re-run only that seed:
 *
 * <pre>
 * mvn -o -pl sequencer-core test -Dtest=SequencerSimulationTest -Dsim.seed=123
 * </pre>
 *
 * Other knobs: {@code -Dsim.seeds=200} runs more seeds (starting at {@code -Dsim.firstSeed},
 * default 1), {@code -Dsim.smallSeeds=50} more with tiny windows (re-run one with {@code
 * -Dsim.seed=123 -Dsim.small=true}), {@code -Dsim.steps=2000} makes each run longer.
 */
class SequencerSimulationTest {
  private static final int STEPS = Integer.getInteger("sim.steps", 400);

  /** Windows small enough that clients are forgotten and sequences refused within a run. */
  private static final DedupeLimits TINY = new DedupeLimits(2, 3, 40);

  /** What the runs exercised, summed over seeds, to show the simulation is not vacuous. */
  private static final Map<String, Long> STATS = new TreeMap<>();

  @TestFactory
  Stream<DynamicTest> seeds() {
    String only = System.getProperty("sim.seed");
    if (only != null) {
      boolean small = Boolean.getBoolean("sim.small");
      return Stream.of(
          DynamicTest.dynamicTest(
              "seed " + only, () -> run(Long.parseLong(only), small ? TINY : null)));
    }
    long first = Long.getLong("sim.firstSeed", 1);
    Stream<DynamicTest> runs =
        LongStream.range(0, Integer.getInteger("sim.seeds", 20))
            .map(i -> i + first)
            .mapToObj(seed -> DynamicTest.dynamicTest("seed " + seed, () -> run(seed, null)));
    Stream<DynamicTest> small =
        LongStream.range(0, Integer.getInteger("sim.smallSeeds", 8))
            .map(i -> i + first)
            .mapToObj(
                seed ->
                    DynamicTest.dynamicTest("tiny windows, seed " + seed, () -> run(seed, TINY)));
    return Stream.of(
            runs,
            small,
            Stream.of(DynamicTest.dynamicTest("the runs covered every event", this::coverage)))
        .flatMap(x -> x);
  }

  /**
   * A simulation whose clients are forgotten one epoch after their last txn, so that their retries
   * are sequenced again: the checker must catch it, on every seed tried.
   */
  @Test
  void theCheckerCatchesATxnSequencedTwice() {
    DedupeLimits forgetful =
        new DedupeLimits(WireFormat.DEDUPE_WINDOW_RUNS, WireFormat.DEDUPE_MAX_CLIENTS, 1);
    for (long seed = 1; seed <= 3; seed++) {
      World w = new World(seed, forgetful, true);
      assertThatThrownBy(() -> w.run(STEPS))
          .as("seed %d with a 1 ms expiry", seed)
          .isInstanceOf(AssertionError.class)
          .hasMessageContaining("sequenced twice");
    }
  }

  /** Runs one seed: with the protocol's windows when {@code limits} is null, else leniently. */
  private static void run(long seed, DedupeLimits limits) {
    World w =
        limits == null
            ? new World(seed, DedupeLimits.PROTOCOL, true)
            : new World(seed, limits, false);
    try {
      w.run(STEPS);
    } catch (AssertionError | RuntimeException e) {
      throw new AssertionError(
          "simulation failed for seed "
              + seed
              + " at step "
              + w.step
              + " (re-run only it with -Dsim.seed="
              + seed
              + (limits == null ? "" : " -Dsim.small=true")
              + "): "
              + e.getMessage(),
          e);
    }
    synchronized (STATS) {
      w.stats.forEach((k, v) -> STATS.merge(k, v, Long::sum));
    }
  }

  private void coverage() {
    System.out.println("simulation coverage over all seeds: " + STATS);
    for (String event :
        List.of(
            "replays",
            "restarts",
            "restores",
            "consumer restarts",
            "offline",
            "queue full",
            "mid-epoch resubscribes",
            "stale",
            "gap",
            "acks",
            "decode errors",
            "re-applied",
            "retries",
            "merged retries",
            "reordered retries",
            "proposals lost before commit",
            "leader died before replying",
            "duplicates answered",
            "duplicates answered by a restored replica",
            "snapshot installs",
            "answered too old",
            "sequenced again after being forgotten")) {
      assertThat(STATS.getOrDefault(event, 0L))
          .as("%s over all seeds: %s", event, STATS)
          .isPositive();
    }
  }
}
