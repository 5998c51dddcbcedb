package org.calvinseq.core.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.Txn;

/**
 * The queue against an {@code ArrayDeque} model: bounded, FIFO, and once an offer fails every later
 * txn is skipped until a resume that covers everything skipped is granted.
 */
class VShardQueueTest {
  private static final Txn TXN = new Txn(null, 0, List.of(), List.of(), new byte[0]);

  /**
   * The real bound is the requested capacity rounded up to a power of two, and at least 4 (the
   * minimum of the JCTools queue underneath): 1 gives 4, as the builder, the CLI and the docs say.
   */
  @org.junit.jupiter.api.Test
  void capacityIsRoundedUpToAPowerOfTwoOfAtLeastFour() {
    assertThat(new VShardQueue(0, 1, false).capacity()).isEqualTo(4);
    assertThat(new VShardQueue(0, 4, false).capacity()).isEqualTo(4);
    assertThat(new VShardQueue(0, 5, false).capacity()).isEqualTo(8);
    assertThat(new VShardQueue(0, 1000, false).capacity()).isEqualTo(1024);
    assertThat(new VShardQueue(0, 65536, false).capacity()).isEqualTo(65536);
  }

  /**
   * Ops: 0-5 deliver the next txn, 6-7 poll, 8 request resume at the last polled epoch, 9 close.
   */
  @Property(tries = 300)
  void behavesLikeABoundedDequeWithABehindLatch(
      @ForAll @IntRange(min = 1, max = 9) int capacity,
      @ForAll @Size(max = 200) List<@IntRange(min = 0, max = 9) Integer> ops) {
    VShardQueue q = new VShardQueue(3, capacity, false);
    int bound = q.capacity();
    assertThat(bound).isGreaterThanOrEqualTo(capacity);
    assertThat(Integer.bitCount(bound)).isEqualTo(1);

    ArrayDeque<SequencedTxn> model = new ArrayDeque<>();
    boolean behind = false;
    boolean closed = false;
    long lastSkipped = -1;
    long resumeAfter = Long.MIN_VALUE;
    long polledThrough = -1;
    long epoch = 0;
    for (int op : ops) {
      if (op <= 5) {
        SequencedTxn t = new SequencedTxn(TXN, epoch++, 0, 0);
        if (behind && resumeAfter != Long.MIN_VALUE && lastSkipped <= resumeAfter) {
          behind = false;
        }
        resumeAfter = Long.MIN_VALUE;
        OfferResult r = q.deliver(t);
        if (behind) {
          assertThat(r).as("skipped while behind").isEqualTo(OfferResult.BEHIND);
          lastSkipped = t.epoch();
        } else if (closed) {
          assertThat(r).isEqualTo(OfferResult.CLOSED);
        } else if (model.size() < bound) {
          assertThat(r).isEqualTo(OfferResult.ACCEPTED);
          model.add(t);
        } else {
          assertThat(r).isEqualTo(OfferResult.FULL);
        }
        if (r.fellBehind()) {
          behind = true;
          lastSkipped = t.epoch();
        }
      } else if (op <= 7) {
        SequencedTxn t = q.poll();
        assertThat(t).isEqualTo(model.poll());
        if (t != null) {
          polledThrough = t.epoch();
        }
      } else if (op == 8) {
        long upTo = Math.max(polledThrough, lastSkipped); // as if replay covered all skipped
        q.requestResume(upTo);
        if (behind) {
          resumeAfter = upTo;
        }
      } else {
        q.close();
        closed = true;
      }
      assertThat(q.size()).isEqualTo(model.size()).isLessThanOrEqualTo(bound);
      assertThat(q.isBehind()).isEqualTo(behind);
      assertThat(q.isClosed()).isEqualTo(closed);
    }
  }
}
