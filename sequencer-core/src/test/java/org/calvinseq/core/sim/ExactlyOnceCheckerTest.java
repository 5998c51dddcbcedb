package org.calvinseq.core.sim;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.routing.CollectionHashRouter;
import org.calvinseq.core.testing.ExactlyOnceChecker;
import org.calvinseq.core.testing.Fixtures;
import org.junit.jupiter.api.Test;

/** The simulation's exactly-once checker fails on each kind of violation it claims to find. */
class ExactlyOnceCheckerTest {
  private final CollectionHashRouter router = new CollectionHashRouter(4);
  private final String col = Fixtures.collectionOn(router, 2);

  private Txn txn(long seq) {
    return new Txn(
        new ClientTxnId(5, seq), 0, List.of(), List.of(Key.of(col, "k")), new byte[] {1});
  }

  private static SequencedTxn at(Txn t, long epoch, int position) {
    return new SequencedTxn(t, epoch, position, 1_000 + epoch);
  }

  @Test
  void aConsistentHistoryPasses() {
    ExactlyOnceChecker c = ExactlyOnceChecker.strict(router);
    c.acknowledged(txn(1), new TxnId(0, 0));
    c.delivered("r0", at(txn(1), 0, 0));
    c.delivered("r1", at(txn(1), 0, 0));
    c.delivered("r0", at(txn(2), 1, 3));
    assertThatCode(() -> c.checkStream("r0", 2, List.of(at(txn(1), 0, 0), at(txn(2), 1, 3))))
        .doesNotThrowAnyException();
  }

  @Test
  void aClientTxnIdDeliveredAtTwoIdsFails() {
    ExactlyOnceChecker c = ExactlyOnceChecker.strict(router);
    c.delivered("r0", at(txn(1), 0, 0));
    assertThatThrownBy(() -> c.delivered("r1", at(txn(1), 4, 1)))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("sequenced twice");
  }

  @Test
  void aReceiptThatDisagreesWithADeliveryFails() {
    ExactlyOnceChecker c = ExactlyOnceChecker.strict(router);
    c.delivered("r0", at(txn(1), 0, 0));
    assertThatThrownBy(() -> c.acknowledged(txn(1), new TxnId(2, 0)))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("sequenced twice");
  }

  @Test
  void anAcknowledgedTxnMissingFromAStreamPastItFails() {
    ExactlyOnceChecker c = ExactlyOnceChecker.lenient(router);
    c.acknowledged(txn(1), new TxnId(0, 1));
    assertThatCode(() -> c.checkStream("r0", 2, List.of(at(txn(2), 0, 0))))
        .as("not past it yet")
        .doesNotThrowAnyException();
    assertThatCode(() -> c.checkStream("r0", 3, List.of(at(txn(2), 0, 0), at(txn(3), 1, 0))))
        .as("a vshard the txn does not touch")
        .doesNotThrowAnyException();
    assertThatThrownBy(() -> c.checkStream("r0", 2, List.of(at(txn(2), 0, 0), at(txn(3), 1, 0))))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("is not in the stream");
    assertThatThrownBy(() -> c.checkStream("r0", 2, List.of(at(txn(2), 0, 1), at(txn(3), 1, 0))))
        .as("another txn at its id")
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("is not in the stream");
  }

  @Test
  void aStreamOutOfOrderOrWithATxnTwiceFails() {
    ExactlyOnceChecker c = ExactlyOnceChecker.strict(router);
    assertThatThrownBy(() -> c.checkStream("r0", 2, List.of(at(txn(1), 1, 0), at(txn(1), 1, 0))))
        .isInstanceOf(AssertionError.class);
    assertThatThrownBy(() -> c.checkStream("r0", 2, List.of(at(txn(1), 1, 0), at(txn(2), 0, 5))))
        .isInstanceOf(AssertionError.class);
  }

  @Test
  void aLenientCheckerAllowsASecondIdButCountsIt() {
    ExactlyOnceChecker c = ExactlyOnceChecker.lenient(router);
    c.delivered("r0", at(txn(1), 0, 0));
    c.delivered("r0", at(txn(1), 5, 0));
    c.delivered("r1", at(txn(1), 0, 0));
    org.assertj.core.api.Assertions.assertThat(c.resequencedCount()).isEqualTo(1);
  }
}
