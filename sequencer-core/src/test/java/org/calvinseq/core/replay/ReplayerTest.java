package org.calvinseq.core.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.calvinseq.core.testing.Fixtures.auto;
import static org.calvinseq.core.testing.Fixtures.named;
import static org.calvinseq.core.testing.Fixtures.writing;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.testing.Fixtures;
import org.calvinseq.core.testing.Harness;
import org.calvinseq.core.testing.StateMachineValidation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Replay ranges, retention and the log going away underneath it. */
class ReplayerTest {
  @RegisterExtension final StateMachineValidation validation = new StateMachineValidation();

  private final Harness h =
      validation.track(Harness.builder().vshards(16).epochRetention(4).build());
  private final String col = Fixtures.collectionOn(h.router, 5);

  private static List<SequencedTxn> all(Iterator<SequencedTxn> it) {
    List<SequencedTxn> out = new ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }

  private void epochs(int n) {
    for (int i = 0; i < n; i++) {
      h.apply(auto(100 + i, writing(col)));
    }
  }

  @Test
  void aRangeDroppedByRetentionFailsNamingTheFirstAvailableEpoch() {
    epochs(7); // epochs 0..6; retention keeps 3..6

    assertThatThrownBy(() -> h.replayer().replay(5, 0, 6))
        .isInstanceOf(ReplayUnavailableException.class)
        .hasMessageContaining("epoch 0 is no longer retained")
        .hasMessageContaining("first epoch available for replay is 3")
        .satisfies(
            e -> {
              ReplayUnavailableException r = (ReplayUnavailableException) e;
              assertThat(r.requestedEpoch()).isZero();
              assertThat(r.firstAvailableEpoch()).isEqualTo(3);
            });
    assertThatThrownBy(() -> h.replayer().replay(5, 2, 2))
        .isInstanceOf(ReplayUnavailableException.class);
    assertThat(all(h.replayer().replay(5, 3, 6)))
        .extracting(SequencedTxn::epoch)
        .containsExactly(3L, 4L, 5L, 6L);
  }

  @Test
  void retentionDroppingTheRangeWhileTheReplayStartsFailsItInsteadOfStartingLate() {
    epochs(7); // retention keeps 3..6
    // The apply thread runs between the range check and the seek: here, inside the check.
    LogSource racing =
        new LogSource() {
          private boolean applied;

          @Override
          public ByteBuffer read(long index) {
            return h.log.read(index);
          }

          @Override
          public long firstIndex() {
            if (!applied) {
              applied = true;
              epochs(3); // now 6..9
            }
            return 0;
          }
        };
    Replayer r = new Replayer(h.sm.epochIndex(), racing, h.router, h.sm::currentCommittedEpoch);

    assertThatThrownBy(() -> all(r.replay(5, 3, 9)))
        .isInstanceOf(ReplayUnavailableException.class)
        .hasMessageContaining("epoch 3 is no longer retained")
        .hasMessageContaining("first epoch available for replay is 6");
    assertThat(all(r.replay(5, 6, 9)))
        .extracting(SequencedTxn::epoch)
        .containsExactly(6L, 7L, 8L, 9L);
  }

  @Test
  void aPurgedLogEntryFailsTheReplayInsteadOfSkippingIt() {
    epochs(4);
    h.log.purgeBelow(3); // the entries of epochs 0 and 1 are gone, the index still has them

    assertThatThrownBy(() -> all(h.replayer().replay(5, 0, 3)))
        .isInstanceOf(ReplayUnavailableException.class);
    assertThat(all(h.replayer().replay(5, 2, 3))).hasSize(2);
  }

  @Test
  void rangesAreClippedToWhatWasApplied() {
    epochs(3);

    assertThat(all(h.replayer().replay(5, 1, 100)))
        .extracting(SequencedTxn::epoch)
        .containsExactly(1L, 2L);
    assertThat(all(h.replayer().replay(5, 3, 100))).isEmpty();
    assertThat(all(h.replayer().replay(5, 2, 1))).as("empty range").isEmpty();
    assertThat(all(h.replayer().replay(6, 0, 2))).as("a vshard nobody touched").isEmpty();
    assertThat(h.replayer().currentCommittedEpoch()).isEqualTo(2);
  }

  @Test
  void gapsAndStaleBatchesYieldNothingAndTimesMatchLive() {
    h.apply(named(0, 1_000, writing(col)));
    h.apply(named(3, 900, writing(col), writing(col, "other")));
    h.apply(named(1, 5_000, writing(col))); // stale
    h.apply(auto(5_000, writing(col)));

    List<SequencedTxn> got = all(h.replayer().replay(5, 0, 10));

    assertThat(got).extracting(SequencedTxn::epoch).containsExactly(0L, 3L, 3L, 4L);
    assertThat(got).extracting(SequencedTxn::position).containsExactly(0, 0, 1, 0);
    assertThat(got)
        .extracting(SequencedTxn::epochSystemMs)
        .containsExactly(1_000L, 1_001L, 1_001L, 5_000L);
    assertThat(all(h.replayer().replay(5, 1, 2))).isEmpty();
  }

  @Test
  void theIteratorIsLazyAndReadsOneEpochAtATime() {
    epochs(4);
    int before = h.log.reads();

    Iterator<SequencedTxn> it = h.replayer().replay(5, 0, 3);
    assertThat(h.log.reads()).isEqualTo(before);
    it.next();
    assertThat(h.log.reads()).isEqualTo(before + 1);
  }

  @Test
  void aVShardOutsideTheRouterIsRefused() {
    assertThatThrownBy(() -> h.replayer().replay(16, 0, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> h.replayer().replay(-1, 0, 1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
