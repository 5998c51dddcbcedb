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
  }
}
