package org.calvinseq.client;

import java.io.IOException;
import java.time.Duration;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.random.RandomGenerator;
import org.apache.ratis.protocol.RaftPeerId;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.protocol.NodeStatus;
import org.calvinseq.core.protocol.Protocol;
import org.calvinseq.core.replay.ReplayUnavailableException;

/**
 * A vshard's txns in an epoch range, fetched page by page from the peers, failing over to another
 * peer when one stops answering.
 *
 * <p>Consistency across failover: the range is cut at a horizon, the last epoch the first peer to
 * answer had applied (at most {@code toEpoch}). A peer taken over mid-range must have applied
 * through the horizon, so the pages it serves continue the same sequence (every replica holds the
 * same committed log). Pages continue after the last txn received, so nothing repeats. The horizon
 * is what {@link #completeThroughEpoch()} reports.
 */
final class RemoteReplay implements ReplayIterator {
  private final QueryChannel queries;
  private final PeerHealth health;
  private final RaftPeerId preferred;
  private final int vshard;
  private final long from;
  private final long to;
  private final int pageSize;
  private final Duration pageTimeout;
  private final RetryBackoff backoff;
  private final RandomGenerator random;

  private RaftPeerId peer;
  private RaftPeerId checkedPeer;
  private long horizon = Long.MIN_VALUE;
  private long afterEpoch = -1;
  private int afterPosition = Integer.MAX_VALUE;
  private Iterator<SequencedTxn> page = Collections.emptyIterator();
  private boolean done;
  private long completeThrough = Protocol.UNKNOWN_EPOCH;

  RemoteReplay(
      QueryChannel queries,
      PeerHealth health,
      RaftPeerId preferred,
      int vshard,
      long from,
      long to,
      int pageSize,
      Duration pageTimeout,
      RetryBackoff backoff,
      RandomGenerator random) {
    if (pageSize < 1) {
      throw new IllegalArgumentException("pageSize must be >= 1: " + pageSize);
    }
    if (vshard < 0) {
      throw new IllegalArgumentException("vshard must be >= 0: " + vshard);
    }
    this.queries = queries;
    this.health = health;
    this.preferred = preferred;
    this.vshard = vshard;
    this.from = from;
    this.to = to;
    this.pageSize = pageSize;
    this.pageTimeout = pageTimeout;
    this.backoff = backoff;
    this.random = random;
    this.done = from < 0 || to < from;
    if (done) {
      completeThrough = to < from ? to : -1;
    }
  }

  @Override
  public long completeThroughEpoch() {
    if (page.hasNext() || !done) {
      throw new IllegalStateException(
          "replay of vshard " + vshard + " not finished: iterate until hasNext() is false");
    }
    return completeThrough;
  }

  @Override
  public boolean hasNext() {
    while (!page.hasNext() && !done) {
      fetch();
    }
    return page.hasNext();
  }

  @Override
  public SequencedTxn next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    return page.next();
  }

  private void fetch() {
    long deadline = System.nanoTime() + pageTimeout.toNanos();
    int failures = 0;
    IOException last = null;
    while (true) {
      RaftPeerId p = peer != null ? peer : pick(failures);
      try {
        fetchFrom(p);
        peer = p;
        return;
      } catch (IOException e) {
        last = e;
        peer = null;
        failures++;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new SequencerUnavailableException(
            "replay of vshard "
                + vshard
                + " ["
                + from
                + ", "
                + to
                + "]: no peer served the next page within "
                + pageTimeout.toMillis()
                + " ms; last error: "
                + last.getMessage(),
            last);
      }
      int peers = health.peers().size();
      if (failures % peers == 0) {
        sleep(Math.min(left, backoff.delayNanos(failures / peers, random)));
      }
    }
  }

  private RaftPeerId pick(int failures) {
    List<RaftPeerId> order = health.order(preferred);
    return order.get(failures % order.size());
  }

  private void fetchFrom(RaftPeerId p) throws IOException {
    if (horizon == Long.MIN_VALUE || !p.equals(checkedPeer)) {
      NodeStatus s = queries.status(p);
      if (horizon == Long.MIN_VALUE) {
        horizon = Math.min(to, s.lastAppliedEpoch());
      } else if (s.lastAppliedEpoch() < horizon) {
        throw new IOException(
            p + " has applied through epoch " + s.lastAppliedEpoch() + ", behind " + horizon);
      }
      checkedPeer = p;
      if (horizon < from) {
        done = true;
        completeThrough = horizon;
        page = Collections.emptyIterator();
        return;
      }
    }
    Protocol.ReplayPage pg =
        queries.page(
            p,
            new Protocol.ReplayQuery(vshard, from, horizon, afterEpoch, afterPosition, pageSize));
    if (pg.firstAvailableEpoch() >= 0) {
      throw new ReplayUnavailableException(Math.max(from, afterEpoch), pg.firstAvailableEpoch());
    }
    List<SequencedTxn> txns = pg.txns();
    if (!txns.isEmpty()) {
      SequencedTxn lastTxn = txns.get(txns.size() - 1);
      afterEpoch = lastTxn.epoch();
      afterPosition = lastTxn.position();
    }
    done = pg.done();
    if (done) {
      // The page was read with toEpoch = horizon, which this peer had applied: the range is
      // complete through the horizon. A node that reports the field cannot say less.
      completeThrough =
          pg.completeThroughEpoch() == Protocol.UNKNOWN_EPOCH
              ? horizon
              : Math.min(horizon, pg.completeThroughEpoch());
    }
    page = txns.iterator();
  }

  private static void sleep(long nanos) {
    try {
      Thread.sleep(Math.max(1, nanos / 1_000_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SequencerUnavailableException("interrupted while replaying", e);
    }
  }
}
