package org.calvinseq.core.apply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.calvinseq.core.testing.Fixtures.auto;
import static org.calvinseq.core.testing.Fixtures.named;
import static org.calvinseq.core.testing.Fixtures.writing;

import java.util.ArrayList;
import java.util.List;
import org.calvinseq.core.codec.EntryEncoder;
import org.calvinseq.core.model.SequencerEntry;
import org.calvinseq.core.queue.OfferResult;
import org.calvinseq.core.queue.VShardQueue;
import org.calvinseq.core.routing.CollectionHashRouter;
import org.calvinseq.core.testing.Fixtures;
import org.junit.jupiter.api.Test;

/** The listener hears each noteworthy apply outcome once, with the index of its entry. */
class ApplyListenerTest {
  private final List<String> heard = new ArrayList<>();
  private final ApplyListener recorder =
      new ApplyListener() {
        @Override
        public void onGap(long index, long fromEpoch, long toEpoch) {
          heard.add("gap " + index + " " + fromEpoch + ".." + toEpoch);
        }

        @Override
        public void onStale(long index, long epoch, long expected) {
          heard.add("stale " + index + " " + epoch + " expected " + expected);
        }

        @Override
        public void onDecodeError(long index, String message) {
          heard.add("decode " + index);
        }

        @Override
        public void onVShardBehind(long index, int vshard, long epoch, OfferResult reason) {
          heard.add("behind " + index + " v" + vshard + " e" + epoch + " " + reason);
        }

        @Override
        public void onVShardCaughtUp(long index, int vshard, long epoch) {
          heard.add("caught-up " + index + " v" + vshard + " e" + epoch);
        }
      };

  private final CollectionHashRouter router = new CollectionHashRouter(16);
  private final EpochStateMachine sm =
      EpochStateMachine.builder().router(router).queueCapacity(2).listener(recorder).build();
  private long index;

  private ApplyResult apply(SequencerEntry e) {
    return sm.apply(++index, EntryEncoder.encode(e));
  }

  @Test
  void gapStaleAndDecodeErrorAreHeardWithTheirIndex() {
    String c = Fixtures.collectionOn(router, 3);
    apply(auto(1, writing(c)));
    apply(named(3, 2, writing(c)));
    apply(named(1, 3, writing(c)));
    sm.apply(++index, new byte[] {(byte) 0xc1});

    assertThat(heard).containsExactly("gap 2 1..2", "stale 3 1 expected 4", "decode 4");
  }

  @Test
  void vshardFallingBehindAndCatchingUpIsHeardOncePerTransition() {
    int v = 5;
    String c = Fixtures.collectionOn(router, v);
    VShardQueue q = sm.subscriptions().subscribe(v);
    q.requestResume(sm.currentCommittedEpoch());
    int cap = q.capacity();
    for (int i = 0; i < cap + 2; i++) {
      apply(auto(i, writing(c))); // txn cap + 1 finds the queue full, the next one is skipped
    }
    while (q.poll() != null) {}
    q.requestResume(sm.currentCommittedEpoch());
    apply(auto(99, writing(c)));

    assertThat(heard)
        .containsExactly(
            "caught-up 1 v5 e0",
            "behind " + (cap + 1) + " v5 e" + cap + " " + OfferResult.FULL,
            "caught-up " + (cap + 3) + " v5 e" + (cap + 2));
  }

  @Test
  void defaultListenerIsSilent() {
    EpochStateMachine plain = EpochStateMachine.builder().router(router).build();
    assertThat(plain.apply(1, new byte[] {(byte) 0xc1}).kind())
        .isEqualTo(ApplyResult.Kind.DECODE_ERROR);
  }
}
