package org.calvinseq.core.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.math.BigInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

/**
 * {@link MsgpackOutput} writes the bytes msgpack-java's packer writes for the same values (the
 * canonical forms of docs/wire-format.md): checked value by value against it, at every boundary
 * between two forms and on random values.
 */
class MsgpackOutputTest {
  private static final long[] BOUNDARIES = {
    0,
    1,
    31,
    32,
    33,
    127,
    128,
    255,
    256,
    65_535,
    65_536,
    (1L << 31) - 1,
    1L << 31,
    (1L << 32) - 1,
    1L << 32,
    Long.MAX_VALUE,
    -1,
    -31,
    -32,
    -33,
    -127,
    -128,
    -129,
    -32_767,
    -32_768,
    -32_769,
    -(1L << 31),
    -(1L << 31) - 1,
    Long.MIN_VALUE
  };

  private static final int[] SIZES = {0, 1, 15, 16, 31, 32, 255, 256, 65_535, 65_536, 100_000};

  @Test
  void integersAtEveryFormBoundary() throws IOException {
    for (long v : BOUNDARIES) {
      for (long w : new long[] {v - 1, v, v + 1}) {
        assertIntegerSame(w);
      }
    }
  }

  @Property
  void integers(@ForAll long v) throws IOException {
    assertIntegerSame(v);
  }

  @Test
  void headersAndBinaryAtEveryFormBoundary() throws IOException {
    for (int n : SIZES) {
      MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
      p.packMapHeader(n).packArrayHeader(n).packBinaryHeader(n).writePayload(new byte[n]);
      MsgpackOutput o = new MsgpackOutput(0).mapHeader(n).arrayHeader(n).binary(new byte[n]);
      assertThat(o.toByteArray()).as("size %d", n).isEqualTo(p.toByteArray());
    }
  }

  @Test
  void lengthHeaderSizeIsTheSizeOfTheHeaderWritten() {
    for (int n : SIZES) {
      assertThat(new MsgpackOutput(0).binaryHeader(n).size())
          .as("size %d", n)
          .isEqualTo(MsgpackOutput.lengthHeaderSize(n));
    }
  }

  @Test
  void anExactlyFilledArrayIsReturnedAsIsAndNeverChangedAfter() {
    MsgpackOutput o = new MsgpackOutput(18).binary(new byte[16]);
    byte[] first = o.toByteArray();
    assertThat(first).hasSize(18);
    assertThat(o.toByteArray()).as("no copy when full").isSameAs(first);
    o.integer(5);
    assertThat(first).as("a later write moves to a new array").hasSize(18).endsWith(new byte[16]);
    assertThat(o.toByteArray()).hasSize(19).endsWith((byte) 5);

    MsgpackOutput roomy = new MsgpackOutput(64).integer(1);
    assertThat(roomy.toByteArray()).as("a copy of what was written").containsExactly(1);
  }

  @Test
  void stringsAtEveryFormBoundaryAsciiAndNot() throws IOException {
    for (int n : SIZES) {
      assertStringSame("x".repeat(n));
      if (n > 0) {
        assertStringSame("é".repeat(n / 2) + "x".repeat(n % 2)); // 2 bytes per é
        assertStringSame("x".repeat(n - 1) + "😀");
      }
    }
  }

  @Property
  void strings(@ForAll("names") String s) throws IOException {
    assertStringSame(s);
  }

  @Provide
  Arbitrary<String> names() {
    return Arbitraries.strings().all().ofMaxLength(300);
  }

  @Test
  void unsignedAbove2To63IsUint64() throws IOException {
    MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
    p.packBigInteger(BigInteger.valueOf(5).setBit(63));
    assertThat(new MsgpackOutput(0).unsigned(5 | Long.MIN_VALUE).toByteArray())
        .isEqualTo(p.toByteArray());
    assertThat(new MsgpackOutput(0).unsigned(7).toByteArray())
        .isEqualTo(new MsgpackOutput(0).integer(7).toByteArray());
  }

  private static void assertIntegerSame(long v) throws IOException {
    MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
    p.packLong(v);
    assertThat(new MsgpackOutput(0).integer(v).toByteArray())
        .as("%d", v)
        .isEqualTo(p.toByteArray());
  }

  private static void assertStringSame(String s) throws IOException {
    MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
    p.packString(s);
    assertThat(new MsgpackOutput(1).string(s).toByteArray())
        .as("string of %d chars", s.length())
        .isEqualTo(p.toByteArray());
  }
}
