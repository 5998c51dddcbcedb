package org.calvinseq.client;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.ratis.protocol.RaftPeerId;

/**
 * Every meter of one client, registered at construction and removed on close (so a registry shared
 * by several clients does not keep a closed client's gauges). Tags take few values: the peer (a
 * cluster has 3 or 5), the peer state, and an outcome.
 *
 * <ul>
 *   <li>{@code sequencer.client.peer.status{peer,status}}: 1 for the peer's current state, 0 for
 *       the others (see {@link PeerHealth});
 *   <li>{@code sequencer.client.connection.attempts{peer,result}}: exchanges with a peer that got a
 *       reply ({@code success}) or none ({@code failure});
 *   <li>{@code sequencer.client.propose{result}}: proposal latency, submit to receipt, by {@code
 *       success}, {@code rejected}, {@code stale} or {@code unavailable};
 *   <li>{@code sequencer.client.inflight}: proposals sent and not yet answered;
 *   <li>{@code sequencer.client.submit.buffered}: submitted txns not yet sent in a batch;
 *   <li>{@code sequencer.client.submit.batch.txns}: txns per batch the batcher sent.
 * </ul>
 */
final class ClientMetrics implements PeerHealth.Listener {
  static final String PEER_STATUS = "sequencer.client.peer.status";
  static final String ATTEMPTS = "sequencer.client.connection.attempts";
  static final String PROPOSE = "sequencer.client.propose";
  static final String INFLIGHT = "sequencer.client.inflight";

  private final MeterRegistry registry;
  private final List<Meter> meters = new ArrayList<>();
  private final Map<RaftPeerId, Counter[]> attempts = new ConcurrentHashMap<>();
  private final Map<String, Timer> propose = new ConcurrentHashMap<>();
  private final DistributionSummary batchTxns;

  ClientMetrics(MeterRegistry registry, List<RaftPeerId> peers) {
    this.registry = registry;
    for (RaftPeerId p : peers) {
      Counter ok = add(counter(p, "success"));
      Counter failed = add(counter(p, "failure"));
      attempts.put(p, new Counter[] {ok, failed});
    }
    for (String r : List.of("success", "rejected", "stale", "unavailable")) {
      propose.put(
          r,
          add(
              Timer.builder(PROPOSE)
                  .description("Proposal latency, sent to receipt or final error")
                  .tag("result", r)
                  .register(registry)));
    }
    batchTxns =
        add(
            DistributionSummary.builder("sequencer.client.submit.batch.txns")
                .description("Transactions per batch sent by the submit batcher")
                .serviceLevelObjectives(1, 10, 100, 1_000, 10_000)
                .register(registry));
  }

  private Counter counter(RaftPeerId peer, String result) {
    return Counter.builder(ATTEMPTS)
        .description("Exchanges with a peer that got a reply (success) or none (failure)")
        .tag("peer", peer.toString())
        .tag("result", result)
        .register(registry);
  }

  /** Registers the per-peer state gauges. */
  void bindHealth(PeerHealth health) {
    for (RaftPeerId p : health.peers()) {
      for (PeerHealth.State s : PeerHealth.State.values()) {
        add(
            Gauge.builder(PEER_STATUS, health, h -> h.state(p) == s ? 1 : 0)
                .description("1 for the peer's current health state, 0 for the others")
                .tag("peer", p.toString())
                .tag("status", s.tag())
                .register(registry));
      }
    }
  }

  void bindInFlight(Supplier<Number> inFlight, Supplier<Number> buffered) {
    add(
        Gauge.builder(INFLIGHT, inFlight)
            .description("Proposals sent and not yet answered")
            .register(registry));
    add(
        Gauge.builder("sequencer.client.submit.buffered", buffered)
            .description("Submitted transactions not yet sent in a batch")
            .register(registry));
  }

  @Override
  public void attempt(RaftPeerId peer, boolean success) {
    Counter[] c = attempts.get(peer);
    if (c != null) {
      c[success ? 0 : 1].increment();
    }
  }

  void proposed(String result, long nanos) {
    Timer t = propose.get(result);
    if (t != null) {
      t.record(nanos, TimeUnit.NANOSECONDS);
    }
  }

  void batchSent(int txns) {
    batchTxns.record(txns);
  }

  MeterRegistry registry() {
    return registry;
  }

  private <M extends Meter> M add(M m) {
    synchronized (meters) {
      meters.add(m);
    }
    return m;
  }

  /** Removes this client's meters from the registry. */
  void close() {
    synchronized (meters) {
      for (Meter m : meters) {
        registry.remove(m);
      }
      meters.clear();
    }
  }
}
