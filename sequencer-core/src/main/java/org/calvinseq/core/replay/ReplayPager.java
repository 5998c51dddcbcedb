package org.calvinseq.core.replay;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import org.calvinseq.core.model.SequencedTxn;

/**
 * Cuts a replay into pages for a remote reader (docs/wire-format.md, section 14): each page holds
 * at most {@link #MAX_PAGE_TXNS} txns after a cursor {@code (afterEpoch, afterPosition)}, and the
 * last page of a range says through which epoch the range is complete. A pure function of the
 * {@link ReplaySource} it reads; the Raft adapter only decodes the query and encodes the page.
 */
public final class ReplayPager {
  /** The most txns a page holds, whatever the reader asks for. */
  public static final int MAX_PAGE_TXNS = 10_000;

  /** The {@code completeThroughEpoch} of a page that is not the last of its range. */
  public static final long UNKNOWN_EPOCH = -1;

  private final ReplaySource source;

  public ReplayPager(ReplaySource source) {
    this.source = Objects.requireNonNull(source, "source");
  }

  /**
   * One page of a replay.
   *
   * @param txns in (epoch, position) order; empty when the range is not retained
   * @param done the range is exhausted: no page follows
   * @param firstAvailableEpoch {@code >= 0} when the range is no longer retained: the oldest epoch
   *     a replay can start at now (and {@code txns} is empty); -1 otherwise
   * @param completeThroughEpoch on the last page of a served range, the epoch through which the
   *     range is complete: {@code min(toEpoch, the last applied epoch when the page was read)}, or
   *     {@code fromEpoch - 1} when none of the range was applied yet; {@link #UNKNOWN_EPOCH} on
   *     other pages
   */
  public record Page(
      List<SequencedTxn> txns, boolean done, long firstAvailableEpoch, long completeThroughEpoch) {
    public Page {
      txns = List.copyOf(txns);
    }
  }

  /**
   * The txns of {@code vshard} in {@code [fromEpoch, toEpoch]} that come after {@code (afterEpoch,
   * afterPosition)}, at most {@code maxTxns} of them (clamped to {@code [1, MAX_PAGE_TXNS]}). The
   * first page of a range passes {@code afterEpoch = -1}; the next one passes the id of the last
   * txn of the page before. Only epochs applied when the page is read are served, so that the last
   * page can say exactly through which epoch the range is complete.
   *
   * @throws IllegalArgumentException if {@code vshard} is out of range
   */
  public Page page(
      int vshard, long fromEpoch, long toEpoch, long afterEpoch, int afterPosition, int maxTxns) {
    int max = Math.max(1, Math.min(maxTxns, MAX_PAGE_TXNS));
    long from = Math.max(fromEpoch, afterEpoch);
    long through = Math.min(toEpoch, source.currentCommittedEpoch());
    List<SequencedTxn> out = new ArrayList<>();
    boolean done = true;
    try {
      Iterator<SequencedTxn> it = source.replay(vshard, from, through);
      while (it.hasNext()) {
        SequencedTxn t = it.next();
        if (t.epoch() == afterEpoch && t.position() <= afterPosition) {
          continue;
        }
        if (out.size() == max) {
          done = false;
          break;
        }
        out.add(t);
      }
    } catch (ReplayUnavailableException e) {
      return new Page(List.of(), true, e.firstAvailableEpoch(), UNKNOWN_EPOCH);
    }
    return new Page(out, done, -1, done ? Math.max(through, fromEpoch - 1) : UNKNOWN_EPOCH);
  }
}
