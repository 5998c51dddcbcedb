package org.calvinseq.core.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import java.util.List;
import org.calvinseq.core.model.AckBatch;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.CompletionAck;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.SequencerEntry;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.model.TxnId;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Byte-exact vectors of the wire format (field numbers, shortest integer forms, unsigned tenant),
 * checked both ways. An engine in another language reads the log from these rules alone, so any
 * change here is a format change and needs a new version.
 */
class WireFormatGoldenTest {
  private static final HexFormat HEX = HexFormat.of();

  record Vector(String name, SequencerEntry entry, String hex) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static Txn txnWithTenant(long tenant) {
    return new Txn(null, tenant, List.of(), List.of(), new byte[0]);
  }

  static List<Vector> vectors() {
    Txn full =
        new Txn(
            new ClientTxnId(1, 2),
            3,
            List.of(new Key("a", new byte[] {1})),
            List.of(),
            new byte[] {(byte) 0xff});
    return List.of(
        new Vector(
            "empty auto batch",
            EpochBatch.auto(0, List.of()),
            "84" + "0001" + "0101" + "0300" + "0490"),
        new Vector(
            "named epoch, 16-bit proposer clock",
            new EpochBatch(5, 1000, List.of()),
            "85" + "0001" + "0101" + "0205" + "03cd03e8" + "0490"),
        new Vector(
            "one full txn",
            EpochBatch.auto(0, List.of(full)),
            "84000101010300"
                + "0491"
                + "85"
                + "01c410"
                + "0000000000000001"
                + "0000000000000002"
                + "0203"
                + "03"
                + "91"
                + "92a161c40101"
                + "0490"
                + "05c401ff"),
        new Vector(
            "tenant 2^64-1 is uint64",
            EpochBatch.auto(0, List.of(txnWithTenant(-1))),
            "84000101010300" + "0491" + "84" + "02cfffffffffffffffff" + "0390" + "0490" + "05c400"),
        new Vector(
            "tenant 2^63 is uint64",
            EpochBatch.auto(0, List.of(txnWithTenant(Long.MIN_VALUE))),
            "84000101010300" + "0491" + "84" + "02cf8000000000000000" + "0390" + "0490" + "05c400"),
        new Vector(
            "ack entry",
            new AckBatch(List.of(new CompletionAck(new TxnId(7, 1), 3, 2))),
            "83" + "0001" + "0102" + "0591" + "84" + "0107" + "0201" + "0303" + "0402"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void encodesToTheVector(Vector v) {
    assertThat(HEX.formatHex(EntryEncoder.encode(v.entry()))).isEqualTo(v.hex());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void decodesTheVector(Vector v) throws CodecException {
    assertThat(new EntryDecoder().decode(HEX.parseHex(v.hex()))).isEqualTo(v.entry());
  }

  /** Later versions may add fields: unknown keys, with any value, are skipped. */
  @org.junit.jupiter.api.Test
  void unknownFieldsAreSkipped() throws CodecException {
    // {0:1, 1:1, 3:0, 4:[{2:3, 9:{"x":[1,2]}}], 9:"xyz", 63:nil, 64:true}
    String hex =
        "87000101010300"
            + "0491"
            + "82"
            + "0203"
            + "0981a178920102"
            + "09a378797a"
            + "3fc0"
            + "40c3";
    assertThat(new EntryDecoder().decode(HEX.parseHex(hex)))
        .isEqualTo(EpochBatch.auto(0, List.of(txnWithTenant(3))));
  }
}
