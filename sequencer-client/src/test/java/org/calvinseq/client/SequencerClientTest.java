package org.calvinseq.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.protocol.BatchReceipt;
import org.junit.jupiter.api.Test;

/** The client against peers that do not exist: nothing hangs, closing fails what is pending. */
class SequencerClientTest {
  private static final String NOWHERE = "n1@127.0.0.1:1,n2@127.0.0.1:2,n3@127.0.0.1:3";

  private static Txn txn() {
    return new Txn(null, 0, List.of(), List.of(Key.of("c", "k")), new byte[0]);
  }

  @Test
  void builderFailsFastOnBadSettings() {
    assertThatThrownBy(() -> SequencerClient.builder().build()).hasMessageContaining("peers");
    assertThatThrownBy(() -> SequencerClient.builder().peers("n1@localhost").build())
        .hasMessageContaining("expected id@host:port");
    assertThatThrownBy(
            () ->
                SequencerClient.builder()
                    .peers(NOWHERE)
                    .requestTimeout(Duration.ofSeconds(5))
                    .callTimeout(Duration.ofSeconds(1))
                    .build())
        .hasMessageContaining("shorter than requestTimeout");
    assertThatThrownBy(() -> SequencerClient.builder().peers(NOWHERE).maxInFlight(0).build())
        .hasMessageContaining("maxInFlight");
    assertThatThrownBy(
            () ->
                SequencerClient.builder()
                    .peers(NOWHERE)
                    .maxBatchTxns(10)
                    .maxBufferedTxns(5)
                    .build())
        .hasMessageContaining("maxBufferedTxns");
    assertThatThrownBy(
            () -> SequencerClient.builder().peers(NOWHERE).linger(Duration.ofMillis(-1)).build())
        .hasMessageContaining("linger");
    assertThatThrownBy(
            () ->
                SequencerClient.builder()
                    .peers(NOWHERE)
                    .maxInFlight(100)
                    .maxInFlightBatches(SequencerClientBuilder.MAX_IN_FLIGHT_BATCHES + 1)
                    .build())
        .hasMessageContaining("maxInFlightBatches must be at most 32");
    assertThatThrownBy(
            () -> SequencerClient.builder().peers(NOWHERE).eagerInFlightBatches(0).build())
        .hasMessageContaining("eagerInFlightBatches");
  }

  @Test
  void closingFailsEveryPendingFutureWithClientClosed() throws Exception {
    SequencerClient c =
        SequencerClient.builder().peers(NOWHERE).callTimeout(Duration.ofSeconds(30)).build();
    CompletableFuture<BatchReceipt> p = c.propose(EpochBatch.auto(1, List.of(txn())));
    CompletableFuture<TxnId> s = c.submit(txn());
    CompletableFuture<TxnId> w =
        c.awaitCompletion(new TxnId(1, 0), new int[] {3}, Duration.ofSeconds(30));
    Thread.sleep(200);
    assertThat(p).isNotDone();
    c.close();
    for (CompletableFuture<?> f : List.of(p, s, w)) {
      assertThatThrownBy(f::join)
          .cause()
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("client closed");
    }
    assertThat(c.submit(txn())).isCompletedExceptionally();
    assertThat(c.propose(EpochBatch.auto(1, List.of(txn())))).isCompletedExceptionally();
    assertThatThrownBy(c::status).hasMessage("client closed");
    c.close(); // twice is fine
  }

  @Test
  void aReplayUnderWayWhenTheClientClosesFailsWithClientClosed() throws Exception {
    SequencerClient c =
        SequencerClient.builder()
            .peers(NOWHERE)
            .requestTimeout(Duration.ofMillis(500))
            .callTimeout(Duration.ofMinutes(5))
            .build();
    Iterator<SequencedTxn> replay = c.replay(2, 0, 10);
    CompletableFuture<Boolean> reading = CompletableFuture.supplyAsync(replay::hasNext);
    Thread.sleep(300); // the reader is now retrying the unreachable peers
    assertThat(reading).isNotDone();
    c.close();
    // Without the close it would keep retrying for the 5-minute call timeout.
    assertThatThrownBy(() -> reading.get(30, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("client closed");
    assertThatThrownBy(() -> c.replay(2, 0, 10)).hasMessage("client closed");
  }

  @Test
  void aBatchOverTheClustersBatchLimitFailsAtOnceWithItsSizeAndTheLimit() throws Exception {
    try (SequencerClient c =
        SequencerClient.builder().peers(NOWHERE).callTimeout(Duration.ofSeconds(30)).build()) {
      Txn big = new Txn(null, 0, List.of(), List.of(Key.of("c", "k")), new byte[5 << 20]);
      CompletableFuture<BatchReceipt> p = c.propose(EpochBatch.auto(1, List.of(big)));
      // Not sent: without the check it would be retried against the peers for the call timeout.
      assertThat(p).isCompletedExceptionally();
      assertThatThrownBy(p::join)
          .cause()
          .isInstanceOf(ProposalRejectedException.class)
          .hasMessageMatching(
              "proposal not sent: it is 52429\\d\\d bytes encoded, over the limit of 4194304 bytes:"
                  + " the smaller of clusterMaxBatchBytes 4194304 .*");
      assertThat(c.peerHealth()).allMatch(h -> h.state() == PeerHealth.State.HEALTHY);
      assertThat(
              c.meterRegistry()
                  .get("sequencer.client.propose")
                  .tag("result", "rejected")
                  .timer()
                  .count())
          .isEqualTo(1);
    }
  }

  @Test
  void theSmallerOfTheClustersBatchLimitAndTheGrpcLimitIsNamed() {
    try (SequencerClient c =
        SequencerClient.builder()
            .peers(NOWHERE)
            .clusterMaxBatchBytes(64 << 20)
            .maxMessageBytes(8 << 20)
            .build()) {
      Txn big = new Txn(null, 0, List.of(), List.of(Key.of("c", "k")), new byte[9 << 20]);
      assertThatThrownBy(() -> c.propose(EpochBatch.auto(1, List.of(big))).join())
          .cause()
          .isInstanceOf(ProposalRejectedException.class)
          .hasMessageContaining("over the limit of " + ((8 << 20) - 4096) + " bytes")
          .hasMessageContaining("gRPC message limit maxMessageBytes 8388608 less 4096")
          .hasMessageContaining("clusterMaxBatchBytes 67108864");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    assertThatThrownBy(
            () -> SequencerClient.builder().peers(NOWHERE).clusterMaxBatchBytes(63).build())
        .hasMessageContaining("clusterMaxBatchBytes must be >= 64: 63");
  }

  @Test
  void futuresCompleteOnTheClientsCallbackThreadOrOnTheGivenExecutor() throws Exception {
    AtomicInteger given = new AtomicInteger();
    for (boolean own : new boolean[] {true, false}) {
      SequencerClientBuilder b =
          SequencerClient.builder()
              .peers(NOWHERE)
              .requestTimeout(Duration.ofMillis(200))
              .callTimeout(Duration.ofMillis(600));
      if (!own) {
        b.callbackExecutor(
            r -> {
              given.incrementAndGet();
              r.run();
            });
      }
      try (SequencerClient c = b.build()) {
        // No peer answers: the submit fails once the call timeout passes, long after handle().
        CompletableFuture<String> where =
            c.submit(txn()).handle((id, t) -> Thread.currentThread().getName());
        String thread = where.get(30, TimeUnit.SECONDS);
        if (own) {
          assertThat(thread).contains("-callbacks");
        } else {
          assertThat(thread).doesNotContain("-callbacks");
          assertThat(given).as("completions through the given executor").hasPositiveValue();
        }
      }
    }
  }

  @Test
  void statusRetriesAPeerThatDoesNotAnswerUntilTheCallTimeout() throws Exception {
    try (SequencerClient c =
        SequencerClient.builder()
            .peers(NOWHERE)
            .requestTimeout(Duration.ofMillis(500))
            .callTimeout(Duration.ofSeconds(3))
            .build()) {
      // The first call also builds the gRPC channels, which on a loaded machine can take most of
      // the call timeout: count the attempts of a second call.
      c.status();
      Map<String, Double> before = failedAttempts(c);
      long start = System.nanoTime();
      List<PeerStatus> all = c.status();
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      assertThat(all).hasSize(3).noneMatch(PeerStatus::reachable);
      assertThat(all).allSatisfy(s -> assertThat(s.error()).contains("no answer within 3000 ms"));
      // A refused connection fails at once, so within 3 s each peer is asked several times. The
      // attempts are counted by callbacks that may run after the call gave up (on a loaded
      // machine, well after): wait for them, up to a bound.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (System.nanoTime() < deadline
          && List.of("n1", "n2", "n3").stream()
              .anyMatch(p -> failedAttempts(c).get(p) - before.get(p) <= 1)) {
        TimeUnit.MILLISECONDS.sleep(50);
      }
      Map<String, Double> after = failedAttempts(c);
      for (String peer : List.of("n1", "n2", "n3")) {
        assertThat(after.get(peer) - before.get(peer)).as("attempts on %s", peer).isGreaterThan(1);
      }
      assertThat(took)
          .isGreaterThanOrEqualTo(Duration.ofMillis(2500))
          .isLessThan(Duration.ofSeconds(6));
    }
  }

  private static Map<String, Double> failedAttempts(SequencerClient c) {
    Map<String, Double> m = new java.util.HashMap<>();
    for (String peer : List.of("n1", "n2", "n3")) {
      var counter =
          c.meterRegistry()
              .find("sequencer.client.connection.attempts")
              .tag("peer", peer)
              .tag("result", "failure")
              .counter();
      m.put(peer, counter == null ? 0.0 : counter.count());
    }
    return m;
  }

  @Test
  void unreachableClusterFailsAsUnavailableWithinTheCallTimeout() throws Exception {
    try (SequencerClient c =
        SequencerClient.builder()
            .peers(NOWHERE)
            .requestTimeout(Duration.ofMillis(500))
            .callTimeout(Duration.ofSeconds(2))
            .build()) {
      long start = System.nanoTime();
      CompletableFuture<BatchReceipt> p = c.propose(EpochBatch.auto(1, List.of(txn())));
      assertThatThrownBy(p::join)
          .cause()
          .isInstanceOf(SequencerUnavailableException.class)
          .hasMessageContaining("no leader with a quorum answered within 2000 ms");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(6));

      List<PeerStatus> all = c.status();
      assertThat(all).hasSize(3).noneMatch(PeerStatus::reachable);
      assertThat(all).allSatisfy(s -> assertThat(s.error()).isNotBlank());
      assertThat(c.peerHealth()).allMatch(h -> h.state() != PeerHealth.State.HEALTHY);
      assertThat(
              c.meterRegistry()
                  .get("sequencer.client.connection.attempts")
                  .tag("result", "failure")
                  .counters())
          .hasSize(3);
      assertThat(
              c.meterRegistry()
                  .get("sequencer.client.peer.status")
                  .tag("peer", "n1")
                  .tag("status", "backoff")
                  .gauge()
                  .value())
          .isEqualTo(1);
      assertThat(
              c.meterRegistry()
                  .get("sequencer.client.propose")
                  .tag("result", "unavailable")
                  .timer()
                  .count())
          .isEqualTo(1);

      long replayStart = System.nanoTime();
      assertThatThrownBy(() -> c.replay(2, 0, 10).hasNext())
          .isInstanceOf(SequencerUnavailableException.class)
          .hasMessageContaining("no peer served the next page");
      assertThat(Duration.ofNanos(System.nanoTime() - replayStart))
          .isLessThan(Duration.ofSeconds(6));

      assertThatThrownBy(
              () ->
                  c.awaitCompletion(new TxnId(0, 0), new int[] {4, 2}, Duration.ofMillis(300))
                      .join())
          .cause()
          .isInstanceOf(CompletionTimeoutException.class)
          .hasMessageContaining("vshards [2, 4] have not acked");
    }
  }
}
