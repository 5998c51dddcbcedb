package org.calvinseq.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Values validate themselves on construction and cannot be changed afterwards. */
class ModelTest {

  @Test
  void keysCopyTheirBytesAndCompareByUtf8Order() {
    byte[] bytes = {1, 2};
    Key k = new Key("c", bytes);
    bytes[0] = 9;
    k.key()[1] = 9;

    assertThat(k.key()).containsExactly(1, 2);
    assertThat(k).isEqualTo(new Key("c", new byte[] {1, 2}));
    assertThat(k).hasSameHashCodeAs(new Key("c", new byte[] {1, 2}));
    assertThat(new Key("c", new byte[] {(byte) 0x80})).isGreaterThan(new Key("c", new byte[] {1}));
    assertThat(Key.of("\uffff", "")).isLessThan(Key.of("😀", ""));
    assertThatThrownBy(() -> new Key("", new byte[0])).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Key.ofOwned("", new byte[0]))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void txnSetsAreSortedUniqueAndImmutable() {
    List<Key> keys = new ArrayList<>(List.of(Key.of("b", "1"), Key.of("a", "1"), Key.of("b", "1")));
    Txn t = new Txn(null, 0, keys, List.of(), new byte[0]);
    keys.clear();

    assertThat(t.readSet()).containsExactly(Key.of("a", "1"), Key.of("b", "1"));
    assertThatThrownBy(() -> t.readSet().add(Key.of("c", "1")))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThat(t.keyCount()).isEqualTo(2);
    assertThatThrownBy(
            () -> Txn.ImmutableKeys.ofSorted(new Key[] {Key.of("b", ""), Key.of("a", "")}))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void idsAndBatchesRejectImpossibleValues() {
    assertThatThrownBy(() -> new TxnId(-1, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new TxnId(0, -1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new EpochBatch(-2, 0, List.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new CompletionAck(new TxnId(0, 0), 0, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new CompletionAck(new TxnId(0, 0), -1, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(EpochBatch.auto(5, List.of()).hasEpoch()).isFalse();
    assertThat(new TxnId(3, 1).isBefore(3, 2)).isTrue();
    assertThat(new TxnId(3, 1).isBefore(3, 1)).isFalse();
    assertThat(new TxnId(3, 1)).isLessThan(new TxnId(4, 0));
  }
}
