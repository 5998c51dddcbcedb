package org.calvinseq.core.testing;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.calvinseq.core.apply.ApplyResult;
import org.calvinseq.core.codec.CodecException;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.NotSequenced;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.core.protocol.Protocol;

/**
 * Clients of a simulated cluster that propose batches of txns with client txn ids and retry what
 * they get no answer for. A proposal may be lost before it is committed, or committed while its
 * leader dies before replying (the reply is lost); either way the client proposes the same txns
 * again later, under the same ids, as one batch, reordered, or merged with another unanswered
 * batch. An answer comes from the first replica to apply the entry (the leader), as a receipt
 * through the wire encoding; the client learns each txn's id from it and tells the {@link
 * ExactlyOnceChecker}.
 *
 * <p>Like a real client's sliding window, a client starts a new batch only while its oldest
 * unanswered txn is fewer than {@link #MAX_SEQUENCES_IN_FLIGHT} sequences behind its next one, so
 * its retries stay within the de-duplication window.
 */
public final class RetryingClients {
  /** The most sequences a client has in flight: far fewer runs than the window holds. */
  public static final int MAX_SEQUENCES_IN_FLIGHT = 24;

  private final SplittableRandom rnd;
  private final LogGenerator gen;
  private final ExactlyOnceChecker checker;
  private final boolean tooOldIsABug;
  private final Map<String, Long> stats;
  private final List<Client> clients = new ArrayList<>();
  private final Map<Integer, Sent> logged = new HashMap<>(); // entry number -> what it carried

  private record Sent(Proposal proposal, boolean replyLost) {}

  private static final class Proposal {
    final Client client;
    final List<Txn> txns;
    int retryAt;

    Proposal(Client client, List<Txn> txns) {
      this.client = client;
      this.txns = List.copyOf(txns);
    }
  }

  private static final class Client {
    final long id;
    long nextSequence;
    final List<Proposal> unanswered = new ArrayList<>();

    Client(long id, long firstSequence) {
      this.id = id;
      this.nextSequence = firstSequence;
    }
  }

  /**
   * @param tooOldIsABug whether a SEQUENCE_TOO_OLD answer fails the run (it cannot happen with the
   *     protocol's window and clients that keep within {@link #MAX_SEQUENCES_IN_FLIGHT})
   * @param stats where to count what happened
   */
  public RetryingClients(
      SplittableRandom rnd,
      LogGenerator gen,
      ExactlyOnceChecker checker,
      int count,
      boolean tooOldIsABug,
      Map<String, Long> stats) {
    this.rnd = rnd;
    this.gen = gen;
    this.checker = checker;
    this.tooOldIsABug = tooOldIsABug;
    this.stats = stats;
    long[] firsts = {0, Long.MAX_VALUE - 10, -12, 1L << 40};
    for (int i = 0; i < count; i++) {
      clients.add(new Client(0xC11E_0000L + i, firsts[i % firsts.length]));
    }
  }

  private void count(String event) {
    stats.merge(event, 1L, Long::sum);
  }

  /** One client acts at {@code step}: it retries a proposal whose time has come, or proposes. */
  public void act(int step) {
    Client c = clients.get(rnd.nextInt(clients.size()));
    for (Proposal p : c.unanswered) {
      if (p.retryAt <= step) {
        retry(c, p, step);
        return;
      }
    }
    if (inFlight(c) + 4 > MAX_SEQUENCES_IN_FLIGHT) {
      return; // the window is full: wait for answers
    }
    List<Txn> txns = new ArrayList<>();
    for (int i = 1 + rnd.nextInt(4); i > 0; i--) {
      Txn t = gen.txn();
      ClientTxnId id = new ClientTxnId(c.id, c.nextSequence++);
      txns.add(new Txn(id, t.tenantId(), t.readSet(), t.writeSet(), t.payload()));
    }
    Proposal p = new Proposal(c, txns);
    c.unanswered.add(p);
    send(p, step, true);
  }

  /** How far the oldest unanswered sequence of {@code c} lies behind its next one. */
  private static long inFlight(Client c) {
    long max = 0;
    for (Proposal p : c.unanswered) {
      for (Txn t : p.txns) {
        max = Math.max(max, c.nextSequence - t.clientTxnId().sequence()); // wraps correctly
      }
    }
    return max;
  }

  private void retry(Client c, Proposal p, int step) {
    count("retries");
    List<Txn> txns = new ArrayList<>(p.txns);
    int roll = rnd.nextInt(10);
    if (roll == 0 && c.unanswered.size() > 1) {
      Proposal other = c.unanswered.get(c.unanswered.get(0) == p ? 1 : 0);
      txns.addAll(other.txns); // an inbox re-batching two unanswered batches into one
      c.unanswered.remove(other);
      count("merged retries");
    } else if (roll == 1) {
      Collections.reverse(txns);
      count("reordered retries");
    }
    c.unanswered.remove(p);
    Proposal again = new Proposal(c, txns);
    c.unanswered.add(again);
    send(again, step, true);
  }

  private void send(Proposal p, int step, boolean faults) {
    p.retryAt = step + 3 + rnd.nextInt(60);
    if (faults && rnd.nextInt(7) == 0) {
      count("proposals lost before commit");
      return;
    }
    gen.propose(EpochBatch.auto(gen.clock(), p.txns));
    boolean replyLost = faults && rnd.nextInt(3) == 0;
    logged.put(gen.entries().size() - 1, new Sent(p, replyLost));
    if (replyLost) {
      count("leader died before replying");
    }
  }

  /** Proposes every unanswered batch once more, without faults: the end of a run. */
  public void flush(int step) {
    for (Client c : clients) {
      for (Proposal p : new ArrayList<>(c.unanswered)) {
        send(p, step, false);
      }
    }
  }

  /** Fails unless every proposal was answered. */
  public void assertAllAnswered() {
    for (Client c : clients) {
      if (!c.unanswered.isEmpty()) {
        throw new AssertionError(
            "client "
                + Long.toHexString(c.id)
                + " has unanswered txns "
                + c.unanswered.get(0).txns);
      }
    }
  }

  /**
   * The entry numbered {@code entry} (in the generator's list) was applied for the first time, by
   * the leader, with {@code result}; {@code restored} says whether that replica's state came from a
   * snapshot (a restart or an install).
   */
  public void onFirstApply(int entry, ApplyResult result, boolean restored) {
    Sent s = logged.get(entry);
    if (s == null || s.replyLost()) {
      return;
    }
    BatchReceipt r;
    try {
      r = Protocol.decodeReceipt(ByteBuffer.wrap(Protocol.encodeReceipt(BatchReceipt.of(result))));
    } catch (CodecException e) {
      throw new AssertionError("receipt does not decode", e);
    }
    if (!r.sequenced()) {
      throw new AssertionError("a client's batch was not sequenced: " + r);
    }
    List<Txn> txns = s.proposal().txns;
    for (int i = 0; i < txns.size(); i++) {
      NotSequenced n = r.notSequenced(i);
      if (n != null && n.reason() == NotSequenced.Reason.SEQUENCE_TOO_OLD) {
        if (tooOldIsABug) {
          throw new AssertionError(txns.get(i).clientTxnId() + " refused as too old: " + r);
        }
        count("answered too old");
        continue;
      }
      if (n != null) {
        count(restored ? "duplicates answered by a restored replica" : "duplicates answered");
      }
      checker.acknowledged(txns.get(i), r.txnId(i));
    }
    s.proposal().client.unanswered.remove(s.proposal());
  }
}
