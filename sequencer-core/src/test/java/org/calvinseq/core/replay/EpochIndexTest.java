package org.calvinseq.core.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The replay index against a plain list of records: appends, retention and purges, across the
 * boundaries of its fixed-size chunks.
 */
class EpochIndexTest {

  @Property(tries = 40)
  void behavesLikeAListTrimmedFromTheFront(
      @ForAll long seed,
      @ForAll @IntRange(min = 1, max = 9_000) int retention,
      @ForAll @IntRange(min = 0, max = 10_000) int appends) {
    SplittableRandom rnd = new SplittableRandom(seed);
    EpochIndex idx = new EpochIndex(retention);
    List<long[]> model = new ArrayList<>();
    long dropped = -1;
    long epoch = -1;
    long logIndex = 0;
    for (int i = 0; i < appends; i++) {
      epoch += 1 + (rnd.nextInt(10) == 0 ? rnd.nextInt(5) : 0);
      logIndex += 1 + rnd.nextInt(3);
      idx.append(epoch, logIndex, 1000 + epoch);
      model.add(new long[] {epoch, logIndex, 1000 + epoch});
      while (model.size() > retention) {
        dropped = model.remove(0)[0];
      }
      if (rnd.nextInt(500) == 0) { // a log purge
        long below = logIndex - rnd.nextInt(200);
        idx.dropBelowLogIndex(below);
        while (!model.isEmpty() && model.get(0)[1] < below) {
          dropped = model.remove(0)[0];
        }
      }
    }

    long[] flat = new long[model.size() * 3];
    for (int i = 0; i < model.size(); i++) {
      System.arraycopy(model.get(i), 0, flat, i * 3, 3);
    }
    assertThat(idx.export()).isEqualTo(flat);
    assertThat(idx.size()).isEqualTo(model.size());
    assertThat(idx.droppedThroughEpoch()).isEqualTo(dropped);
    assertThat(idx.firstReplayableEpoch()).isEqualTo(dropped + 1);
    assertThat(idx.lastEpoch()).isEqualTo(model.isEmpty() ? -1 : model.get(model.size() - 1)[0]);
    assertThat(idx.firstEpoch()).isEqualTo(model.isEmpty() ? -1 : model.get(0)[0]);
    for (int probe = 0; probe < 50 && !model.isEmpty(); probe++) {
      long[] rec = model.get(rnd.nextInt(model.size()));
      long n = idx.seekEpoch(rec[0]);
      assertThat(idx.epochAt(n)).isEqualTo(rec[0]);
      assertThat(idx.indexAt(n)).isEqualTo(rec[1]);
      assertThat(idx.msAt(n)).isEqualTo(rec[2]);
      assertThat(idx.findLogIndex(rec[1])).isEqualTo(n);
      assertThat(
              idx.findLogIndex(rec[1] + 1) == -1
                  || idx.indexAt(idx.findLogIndex(rec[1] + 1)) == rec[1] + 1)
          .isTrue();
    }
    assertThat(idx.seekEpoch(epoch + 1)).isEqualTo(idx.end());

    EpochIndex copy = new EpochIndex(retention);
    copy.load(idx.droppedThroughEpoch(), idx.export());
    assertThat(copy.export()).isEqualTo(idx.export());
    assertThat(copy.firstReplayableEpoch()).isEqualTo(idx.firstReplayableEpoch());
  }

  @Test
  void recordsMustRise() {
    EpochIndex idx = new EpochIndex(10);
    idx.append(5, 10, 0);
    assertThatThrownBy(() -> idx.append(5, 11, 0)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> idx.append(6, 10, 0)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> new EpochIndex(0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aDroppedRecordIsReportedAsNoLongerRetained() {
    EpochIndex idx = new EpochIndex(EpochIndex.CHUNK);
    for (int e = 0; e < 3 * EpochIndex.CHUNK; e++) {
      idx.append(e, e + 1, e);
    }
    assertThat(idx.firstEpoch()).isEqualTo(2L * EpochIndex.CHUNK);
    assertThatThrownBy(() -> idx.epochAt(0)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void emptyPositionsAreKeptExportedAndDroppedWithTheirRecords() {
    EpochIndex idx = new EpochIndex(3);
    idx.append(0, 1, 10);
    idx.append(1, 2, 11, new int[] {0, 3});
    idx.append(2, 3, 12, new int[0]);
    assertThat(idx.holesAt(idx.start())).isNull();
    assertThat(idx.holesAt(idx.start() + 1)).containsExactly(0, 3);
    assertThat(idx.holesAt(idx.start() + 2)).as("empty means none").isNull();
    assertThat(idx.exportHoles()).containsExactly(new EpochIndex.Holes(1, new int[] {0, 3}));

    EpochIndex back = new EpochIndex(3);
    back.load(idx.droppedThroughEpoch(), idx.export(), idx.exportHoles());
    assertThat(back.exportHoles()).isEqualTo(idx.exportHoles());

    idx.append(3, 4, 13);
    idx.append(4, 5, 14, new int[] {1});
    assertThat(idx.exportHoles()).containsExactly(new EpochIndex.Holes(4, new int[] {1}));
  }

  @Test
  void emptyPositionsCrossChunkBoundaries() {
    EpochIndex idx = new EpochIndex(3 * EpochIndex.CHUNK);
    for (int e = 0; e < 2 * EpochIndex.CHUNK + 5; e++) {
      idx.append(e, e + 1, e, e % 1000 == 7 ? new int[] {e % 5} : null);
    }
    for (long n = idx.start(); n < idx.end(); n++) {
      long e = idx.epochAt(n);
      if (e % 1000 == 7) {
        assertThat(idx.holesAt(n)).containsExactly((int) (e % 5));
      } else {
        assertThat(idx.holesAt(n)).isNull();
      }
    }
    assertThat(idx.exportHoles()).hasSize(9);
  }
}
