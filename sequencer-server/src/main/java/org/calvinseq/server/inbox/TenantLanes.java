package org.calvinseq.server.inbox;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The pending submissions, one FIFO lane per tenant, served by deficit round robin (M. Shreedhar
 * and G. Varghese, "Efficient Fair Queuing using Deficit Round Robin", SIGCOMM 1995) when an epoch
 * is filled. Not thread-safe: the inbox's lock guards it.
 *
 * <p>Each turn gives the lane whose turn it is a quantum of {@link Submission#UNITS_PER_EPOCH} /
 * {@link #TURNS_PER_EPOCH}; the lane takes its submissions in order while their cost (the larger of
 * their share of an epoch's txns and bytes) fits its deficit, then the next lane has its turn. A
 * lane that empties forgets its deficit. So every backlogged tenant gets about the same share of
 * each epoch's capacity, whatever the size of its submissions, and a tenant that was idle waits for
 * at most one turn of each other backlogged tenant (each at most about one epoch), not behind their
 * backlogs.
 *
 * <p>When the submission whose turn it is does not fit what is left of the epoch, its lane keeps
 * its turn and its deficit and starts the next epoch, so a large submission cannot be passed over
 * forever by smaller ones. The rest of the epoch is then filled, in turn order, with the next
 * lanes' submissions that fit, each charged to its lane's deficit even below zero (it borrows from
 * its next turns), so filling the gap costs no fairness, only a lane that empties forgets a debt as
 * it forgets a credit.
 */
final class TenantLanes {
  /** Turns of one lane per epoch's worth of cost. */
  static final int TURNS_PER_EPOCH = 16;

  private static final long QUANTUM = Submission.UNITS_PER_EPOCH / TURNS_PER_EPOCH;

  /** What stopped filling an epoch. */
  enum Stop {
    /** Nothing more was pending. */
    EMPTY,
    /** The next submission would take the epoch over its txn limit. */
    TXNS,
    /** The next submission would take the epoch over its byte limit. */
    BYTES
  }

  private static final class Lane {
    final long tenant;
    final ArrayDeque<Submission> queue = new ArrayDeque<>();
    long deficit;

    Lane(long tenant) {
      this.tenant = tenant;
    }
  }

  private final Map<Long, Lane> lanes = new HashMap<>();
  private final ArrayDeque<Lane> waiting = new ArrayDeque<>();
  private Lane current;

  /** Queues {@code s} at the end of its lane; a new lane waits for its turn behind the others. */
  void add(Submission s) {
    Lane lane = lanes.get(s.lane);
    if (lane == null) {
      lane = new Lane(s.lane);
      lanes.put(s.lane, lane);
      waiting.addLast(lane);
    }
    lane.queue.addLast(s);
  }

  /** Tenants (lanes) with pending submissions. */
  int activeLanes() {
    return lanes.size();
  }

  /**
   * Moves submissions into {@code out}, in turn, while they fit {@code maxTxns} txns and {@code
   * maxBytes} bytes together; says what stopped it.
   */
  Stop fill(int maxTxns, long maxBytes, List<Submission> out) {
    int txns = 0;
    long bytes = 0;
    Stop stop;
    while (true) {
      if (current == null) {
        current = waiting.pollFirst();
        if (current == null) {
          return Stop.EMPTY;
        }
        current.deficit += QUANTUM;
      }
      Submission head = current.queue.peekFirst();
      if (txns + head.txnCount() > maxTxns) {
        stop = Stop.TXNS;
        break;
      }
      if (bytes + head.bytes > maxBytes) {
        stop = Stop.BYTES;
        break;
      }
      if (head.cost > current.deficit) {
        waiting.addLast(current);
        current = null;
        continue;
      }
      current.queue.pollFirst();
      current.deficit -= head.cost;
      out.add(head);
      txns += head.txnCount();
      bytes += head.bytes;
      if (current.queue.isEmpty()) {
        lanes.remove(current.tenant);
        current = null;
      }
    }
    // The current lane's next submission waits for the next epoch; fill the gap, borrowing.
    for (Iterator<Lane> it = waiting.iterator(); it.hasNext() && txns < maxTxns; ) {
      Lane lane = it.next();
      Submission head;
      while ((head = lane.queue.peekFirst()) != null
          && txns + head.txnCount() <= maxTxns
          && bytes + head.bytes <= maxBytes) {
        lane.queue.pollFirst();
        lane.deficit -= head.cost;
        out.add(head);
        txns += head.txnCount();
        bytes += head.bytes;
      }
      if (lane.queue.isEmpty()) {
        it.remove();
        lanes.remove(lane.tenant);
      }
    }
    return stop;
  }

  /** Removes and returns every pending submission. */
  List<Submission> drainAll() {
    List<Submission> all = new ArrayList<>();
    for (Lane lane : lanes.values()) {
      all.addAll(lane.queue);
    }
    lanes.clear();
    waiting.clear();
    current = null;
    return all;
  }
}
