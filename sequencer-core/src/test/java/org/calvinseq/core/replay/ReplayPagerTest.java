package org.calvinseq.core.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.calvinseq.core.testing.Fixtures.auto;
import static org.calvinseq.core.testing.Fixtures.writing;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.testing.Fixtures;
import org.calvinseq.core.testing.Harness;
import org.calvinseq.core.testing.StateMachineValidation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Pages of a remote replay: cursors, limits, retention and the completeness answer. */
class ReplayPagerTest {
  private static final int V = 5;

  @RegisterExtension final StateMachineValidation validation = new StateMachineValidation();

  private final Harness h =
      validation.track(Harness.builder().vshards(16).epochRetention(4).build());
  private final String mine = Fixtures.collectionOn(h.router, V);
  private final String other = Fixtures.collectionOn(h.router, V + 1);
  private final ReplayPager pager = new ReplayPager(h.replayer());

  /** Applies {@code n} epochs, each with two txns on vshard V around one that is not. */
  private void epochs(int n) {
    for (int i = 0; i < n; i++) {
      h.apply(auto(100 + i, writing(mine), writing(other), writing(mine)));
    }
  }

  private static List<TxnId> ids(ReplayPager.Page p) {
    return p.txns().stream().map(SequencedTxn::id).toList();
  }

  /** Reads {@code [from, to]} page by page as a remote reader does, checking each page's form. */
  private List<SequencedTxn> readAll(long from, long to, int max, List<ReplayPager.Page> pages) {
    List<SequencedTxn> out = new ArrayList<>();
    long afterEpoch = -1;
    int afterPosition = Integer.MAX_VALUE;
    while (true) {
      ReplayPager.Page p = pager.page(V, from, to, afterEpoch, afterPosition, max);
      pages.add(p);
      assertThat(p.firstAvailableEpoch()).isEqualTo(-1);
      out.addAll(p.txns());
      if (p.done()) {
        assertThat(p.txns().size()).isLessThanOrEqualTo(max);
        return out;
      }
      assertThat(p.txns()).hasSize(max);
      assertThat(p.completeThroughEpoch()).isEqualTo(ReplayPager.UNKNOWN_EPOCH);
      SequencedTxn last = p.txns().get(p.txns().size() - 1);
      afterEpoch = last.epoch();
      afterPosition = last.position();
    }
  }

  @Test
  void pagesSplitARangeExactlyOnceAtEveryBoundaryInsideAndBetweenEpochs() {
    epochs(4); // epochs 0..3, txns of V at positions 0 and 2
    List<SequencedTxn> whole = new ArrayList<>();
    h.replayer().replay(V, 0, 3).forEachRemaining(whole::add);
    assertThat(whole).hasSize(8);

    for (int max = 1; max <= 9; max++) {
      List<ReplayPager.Page> pages = new ArrayList<>();
      assertThat(readAll(0, 3, max, pages)).as("page size %d", max).isEqualTo(whole);
      // A page that ends exactly at the range's end is the last: no empty page follows it.
      assertThat(pages).as("page size %d", max).hasSize((8 + max - 1) / max);
      assertThat(pages.get(pages.size() - 1).completeThroughEpoch()).isEqualTo(3);
    }
  }

  @Test
  void aCursorInsideTheFirstEpochSkipsWhatTheReaderHasAndNothingElse() {
    epochs(3);
    ReplayPager.Page p = pager.page(V, 0, 2, 1, 0, 100);
    assertThat(ids(p)).containsExactly(new TxnId(1, 2), new TxnId(2, 0), new TxnId(2, 2));
    assertThat(p.done()).isTrue();
    assertThat(p.completeThroughEpoch()).isEqualTo(2);
  }

  @Test
  void theTxnLimitIsClampedToOneAndToTheMaximum() {
    epochs(2);
    ReplayPager.Page none = pager.page(V, 0, 1, -1, Integer.MAX_VALUE, 0);
    assertThat(ids(none)).as("0 asks for one").containsExactly(new TxnId(0, 0));
    assertThat(none.done()).isFalse();
    assertThat(ids(pager.page(V, 0, 1, -1, Integer.MAX_VALUE, -5))).hasSize(1);

    Txn t = writing(mine);
    h.apply(auto(200, Collections.nCopies(ReplayPager.MAX_PAGE_TXNS + 1, t).toArray(Txn[]::new)));
    ReplayPager.Page big = pager.page(V, 2, 2, -1, Integer.MAX_VALUE, Integer.MAX_VALUE);
    assertThat(big.txns()).hasSize(ReplayPager.MAX_PAGE_TXNS);
    assertThat(big.done()).isFalse();
    ReplayPager.Page rest = pager.page(V, 2, 2, 2, ReplayPager.MAX_PAGE_TXNS - 1, 20_000);
    assertThat(ids(rest)).containsExactly(new TxnId(2, ReplayPager.MAX_PAGE_TXNS));
    assertThat(rest.done()).isTrue();
    assertThat(rest.completeThroughEpoch()).isEqualTo(2);
  }

  @Test
  void anEmptyRangeIsOneDonePageThatSaysHowFarItIsComplete() {
    epochs(3); // applied through 2

    ReplayPager.Page inverted = pager.page(V, 2, 1, -1, Integer.MAX_VALUE, 10);
    assertThat(inverted.txns()).isEmpty();
    assertThat(inverted.done()).isTrue();
    assertThat(inverted.completeThroughEpoch()).isEqualTo(1);

    ReplayPager.Page noTxnsOfIt = pager.page(V + 2, 0, 2, -1, Integer.MAX_VALUE, 10);
    assertThat(noTxnsOfIt.txns()).isEmpty();
    assertThat(noTxnsOfIt.done()).isTrue();
    assertThat(noTxnsOfIt.completeThroughEpoch()).as("complete: nothing of it there").isEqualTo(2);

    ReplayPager.Page future = pager.page(V, 7, 9, -1, Integer.MAX_VALUE, 10);
    assertThat(future.txns()).isEmpty();
    assertThat(future.done()).isTrue();
    assertThat(future.completeThroughEpoch()).as("below fromEpoch: none applied yet").isEqualTo(6);
  }

  @Test
  void aRangeEndingAtOrPastTheAppliedEpochIsCompleteThroughTheAppliedEpoch() {
    ReplayPager.Page beforeAny = pager.page(V, 0, 5, -1, Integer.MAX_VALUE, 10);
    assertThat(beforeAny.done()).isTrue();
    assertThat(beforeAny.completeThroughEpoch()).isEqualTo(-1);

    epochs(3); // applied through 2
    ReplayPager.Page atApplied = pager.page(V, 0, 2, -1, Integer.MAX_VALUE, 10);
    assertThat(atApplied.txns()).hasSize(6);
    assertThat(atApplied.completeThroughEpoch()).isEqualTo(2);

    ReplayPager.Page past = pager.page(V, 1, 10, -1, Integer.MAX_VALUE, 10);
    assertThat(past.txns()).extracting(SequencedTxn::epoch).containsExactly(1L, 1L, 2L, 2L);
    assertThat(past.done()).isTrue();
    assertThat(past.completeThroughEpoch()).as("cut at what was applied").isEqualTo(2);

    // The reader asks again from where that page said it was complete, and gets the rest.
    epochs(1);
    ReplayPager.Page more = pager.page(V, 3, 10, -1, Integer.MAX_VALUE, 10);
    assertThat(more.txns()).extracting(SequencedTxn::epoch).containsExactly(3L, 3L);
    assertThat(more.completeThroughEpoch()).isEqualTo(3);
  }

  @Test
  void aRangeNoLongerRetainedAnswersTheFirstAvailableEpochAndNoTxns() {
    epochs(7); // retention keeps 3..6
    ReplayPager.Page p = pager.page(V, 1, 6, -1, Integer.MAX_VALUE, 10);
    assertThat(p.txns()).isEmpty();
    assertThat(p.done()).isTrue();
    assertThat(p.firstAvailableEpoch()).isEqualTo(3);
    assertThat(p.completeThroughEpoch()).isEqualTo(ReplayPager.UNKNOWN_EPOCH);

    // A cursor past the dropped epochs is still served.
    assertThat(pager.page(V, 1, 6, 3, 2, 10).txns())
        .extracting(SequencedTxn::epoch)
        .containsExactly(4L, 4L, 5L, 5L, 6L, 6L);
  }

  @Test
  void aVShardOutOfRangeIsRefused() {
    assertThatThrownBy(() -> pager.page(16, 0, 1, -1, Integer.MAX_VALUE, 10))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
