package org.calvinseq.core.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Collections;
import java.util.List;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.Txn;
import org.junit.jupiter.api.Test;

/** The leader's proposal checks: each refusal says which limit and by how much. */
class ProposalLimitsTest {
  private final ProposalLimits limits = new ProposalLimits(1_000, 2, 2, 10);

  private static Txn txn(int keys, int payload) {
    List<Key> ks = new java.util.ArrayList<>();
    for (int i = 0; i < keys; i++) {
      ks.add(Key.of("c", "k" + i));
    }
    return new Txn(null, 0, List.of(), ks, new byte[payload]);
  }

  private String check(Txn... txns) {
    EpochBatch b = EpochBatch.auto(0, List.of(txns));
    return limits.violation(b, EntryEncoder.encode(b).length);
  }

  @Test
  void acceptsWhatIsWithinEveryLimit() {
    assertThat(check(txn(2, 10), txn(1, 0))).isNull();
  }

  @Test
  void namesTheLimitThatWasExceeded() {
    assertThat(check(txn(1, 0), txn(1, 0), txn(1, 0))).contains("3 txns").contains("limit of 2");
    assertThat(check(txn(1, 0), txn(3, 0))).contains("txns[1]").contains("3 keys");
    assertThat(check(txn(1, 11))).contains("txns[0]").contains("11 bytes");
    assertThat(check(txn(0, 0))).contains("txns[0]").contains("no keys");
    EpochBatch big = EpochBatch.auto(0, Collections.nCopies(1, txn(1, 0)));
    assertThat(limits.violation(big, 1_001)).contains("1001 bytes");
    EpochBatch last = new EpochBatch(Long.MAX_VALUE, 0, List.of(txn(1, 0)));
    assertThat(limits.violation(last, 20)).contains("no epoch could follow");
    assertThat(limits.violation(new EpochBatch(Long.MAX_VALUE - 1, 0, List.of(txn(1, 0))), 20))
        .isNull();
  }

  @Test
  void nonsenseLimitsAreRefused() {
    assertThatThrownBy(() -> new ProposalLimits(63, 1, 1, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ProposalLimits(64, 1, 1, 0, WireFormat.MAX_EPOCH_GAP + 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("protocol's bound");
    assertThatThrownBy(() -> ProposalLimits.DEFAULTS.withMaxEpochGap(-1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(ProposalLimits.DEFAULTS.withMaxEpochGap(WireFormat.MAX_EPOCH_GAP).maxEpochGap())
        .isEqualTo(WireFormat.MAX_EPOCH_GAP);
    assertThat(ProposalLimits.DEFAULTS.maxEpochGap()).isEqualTo(1_000_000);
    assertThat(limits.maxEpochGap()).isEqualTo(ProposalLimits.DEFAULT_MAX_EPOCH_GAP);
  }

  private static final long NOW = 1_700_000_000_000L;

  private String leaderCheck(long epoch, long proposerMs, long nextEpoch) {
    EpochBatch b = new EpochBatch(epoch, proposerMs, List.of(txn(1, 0)));
    return limits.withMaxEpochGap(100).violation(b, EntryEncoder.encode(b).length, nextEpoch, NOW);
  }

  /** Issue 10: a batch naming an epoch far ahead would use up the epoch space. */
  @Test
  void leaderRefusesEpochsMoreThanTheGapAheadAndNamesEpochNextAndLimit() {
    assertThat(leaderCheck(EpochBatch.AUTO_EPOCH, NOW, Long.MAX_VALUE - 5)).isNull();
    assertThat(leaderCheck(50, NOW, 50)).isNull();
    assertThat(leaderCheck(150, NOW, 50)).as("exactly the limit").isNull();
    assertThat(leaderCheck(3, NOW, 50)).as("stale: the apply path reports it").isNull();
    assertThat(leaderCheck(151, NOW, 50))
        .contains("epoch 151")
        .contains("limit of 100")
        .contains("next epoch 50");
    assertThat(leaderCheck(Long.MAX_VALUE - 1, NOW, 7))
        .contains("epoch 9223372036854775806")
        .contains("next epoch 7")
        .contains("limit of 100");
    assertThat(leaderCheck(Long.MAX_VALUE, NOW, 7)).contains("no epoch could follow");
  }

  @Test
  void leaderRefusesProposerClocksFarAheadOfItsOwnButNotBehind() {
    long ahead = ProposalLimits.MAX_PROPOSER_MS_AHEAD;
    assertThat(leaderCheck(EpochBatch.AUTO_EPOCH, NOW + ahead, 0)).isNull();
    assertThat(leaderCheck(EpochBatch.AUTO_EPOCH, NOW + ahead + 1, 0))
        .contains("proposerMs " + (NOW + ahead + 1))
        .contains("ahead of the leader's clock");
    assertThat(leaderCheck(EpochBatch.AUTO_EPOCH, Long.MAX_VALUE, 0)).contains("proposerMs");
    assertThat(leaderCheck(EpochBatch.AUTO_EPOCH, Long.MIN_VALUE, 0)).isNull();
    assertThat(leaderCheck(EpochBatch.AUTO_EPOCH, -1, 0)).isNull();
    EpochBatch b = EpochBatch.auto(Long.MAX_VALUE, List.of(txn(1, 0)));
    assertThat(limits.violation(b, 20, 0, Long.MIN_VALUE))
        .as("no overflow when clocks are 2^64 apart")
        .contains("proposerMs");
  }
}
