package org.calvinseq.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

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
    assertThat(o.get("epoch").asLong()).isEqualTo(5);
    assertThat(o.get("position").asInt()).isEqualTo(2);
    assertThat(o.get("epochSystemMs").asLong()).isEqualTo(1000);
    assertThat(o.get("read").get(1).has("keyBase64")).isTrue();
    assertThat(o.has("payloadBase64")).isTrue();
    o.remove(List.of("epoch", "position", "epochSystemMs"));
    EpochBatch back = TxnJson.parseBatch("{\"txns\": [" + o + "]}", 0);
    assertThat(back.txns()).containsExactly(t);
  }
}
