package org.calvinseq.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.Txn;
import org.junit.jupiter.api.Test;

class TxnJsonTest {
  @Test
  void parsesEveryField() throws Exception {
    EpochBatch b =
        TxnJson.parseBatch(
            "{\"epoch\": 12, \"txns\": [{\"clientId\": 18446744073709551615, \"seq\": 4,"
                + " \"tenant\": 9, \"read\": [{\"collection\": \"a\", \"key\": \"x\"}],"
                + " \"write\": [{\"collection\": \"b\", \"keyBase64\": \"AAE=\"}],"
                + " \"payloadBase64\": \"AP8=\"}, {\"write\": [{\"collection\": \"c\", \"key\":"
                + " \"k\"}], \"payload\": \"héllo\"}]}",
            77);
    assertThat(b.epoch()).isEqualTo(12);
    assertThat(b.proposerMs()).isEqualTo(77);
    Txn t = b.txns().get(0);
    assertThat(t.clientTxnId()).isEqualTo(new ClientTxnId(-1, 4));
    assertThat(t.tenantId()).isEqualTo(9);
    assertThat(t.readSet()).containsExactly(Key.of("a", "x"));
    assertThat(t.writeSet()).containsExactly(new Key("b", new byte[] {0, 1}));
    assertThat(t.payload()).containsExactly(0, 0xff);
    Txn u = b.txns().get(1);
    assertThat(u.clientTxnId()).isNull();
    assertThat(u.tenantId()).isZero();
    assertThat(new String(u.payload(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("héllo");
    assertThat(TxnJson.parseBatch("{\"txns\": []}", 0).hasEpoch()).isFalse();
  }

  /**
   * 64-bit values are JSON strings, as in protobuf's JSON mapping, so that JSON.parse in JavaScript
   * (doubles: exact only up to 2^53) cannot round them; the position, an int32, stays a number.
   */
  @Test
  void replayOutputWrites64BitValuesAsStringsThatSurviveAboveTwoToThe53() throws Exception {
    long big = (1L << 53) + 1; // 9007199254740993: a double would read 9007199254740992
    Txn t =
        new Txn(new ClientTxnId(-1L, big), big, List.of(Key.of("a", "x")), List.of(), new byte[0]);
    String line = TxnJson.write(new SequencedTxn(t, big, 3, big + 2));
    ObjectNode o = (ObjectNode) TxnJson.MAPPER.readTree(line);

    assertThat(o.get("epoch").isTextual()).isTrue();
    assertThat(o.get("epoch").textValue()).isEqualTo("9007199254740993");
    assertThat(o.get("epochSystemMs").textValue()).isEqualTo("9007199254740995");
    assertThat(o.get("clientId").textValue()).isEqualTo("18446744073709551615");
    assertThat(o.get("seq").textValue()).isEqualTo("9007199254740993");
    assertThat(o.get("tenant").textValue()).isEqualTo("9007199254740993");
    assertThat(o.get("position").isInt()).isTrue();
    assertThat(o.get("position").intValue()).isEqualTo(3);
    assertThat(line).doesNotContain(":9007199254740993");
  }

  @Test
  void proposeReadsDecimalStringsAsWellAsNumbers() throws Exception {
    EpochBatch b =
        TxnJson.parseBatch(
            "{\"epoch\": \"9007199254740993\", \"txns\": [{\"clientId\":"
                + " \"18446744073709551615\", \"seq\": \"4\", \"tenant\": 9, \"write\":"
                + " [{\"collection\": \"a\", \"key\": \"x\"}]}]}",
            0);
    assertThat(b.epoch()).isEqualTo((1L << 53) + 1);
    assertThat(b.txns().get(0).clientTxnId()).isEqualTo(new ClientTxnId(-1, 4));
    assertThat(b.txns().get(0).tenantId()).isEqualTo(9);
    assertThatThrownBy(() -> TxnJson.parseBatch("{\"epoch\": \"12x\", \"txns\": []}", 0))
        .hasMessageContaining("epoch");
    assertThatThrownBy(() -> TxnJson.parseBatch("{\"epoch\": \"-1\", \"txns\": []}", 0))
        .hasMessageContaining("out of range");
  }

  @Test
  void replayOutputReadsBackAsTheSameTxn() throws Exception {
    Txn t =
        new Txn(
            new ClientTxnId(Long.MIN_VALUE, 3),
            -2,
            List.of(Key.of("a", "x"), new Key("a", new byte[] {(byte) 0xc3})),
            List.of(Key.of("b", "y")),
            new byte[] {1, 2, (byte) 0xfe});
    String line = TxnJson.write(new SequencedTxn(t, 5, 2, 1000));
    ObjectNode o = (ObjectNode) TxnJson.MAPPER.readTree(line);
    assertThat(o.get("epoch").textValue()).isEqualTo("5");
    assertThat(o.get("position").asInt()).isEqualTo(2);
    assertThat(o.get("epochSystemMs").textValue()).isEqualTo("1000");
    assertThat(o.get("read").get(1).has("keyBase64")).isTrue();
    assertThat(o.has("payloadBase64")).isTrue();
    o.remove(List.of("epoch", "position", "epochSystemMs"));
    EpochBatch back = TxnJson.parseBatch("{\"txns\": [" + o + "]}", 0);
    assertThat(back.txns()).containsExactly(t);
  }
}
