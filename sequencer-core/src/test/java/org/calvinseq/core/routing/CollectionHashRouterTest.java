package org.calvinseq.core.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.calvinseq.core.model.Key;
import org.junit.jupiter.api.Test;

/** The default router is FNV-1a 32 over the collection's UTF-8 bytes, mod the vshard count. */
class CollectionHashRouterTest {

  /** The published FNV-1a 32 test vectors. */
  @Test
  void hashesMatchTheReferenceVectors() {
    assertThat(CollectionHashRouter.fnv1a32Utf8("")).isEqualTo(0x811c9dc5);
    assertThat(CollectionHashRouter.fnv1a32Utf8("a")).isEqualTo(0xe40c292c);
    assertThat(CollectionHashRouter.fnv1a32Utf8("foobar")).isEqualTo(0xbf9cf968);
  }

  @Test
  void vshardIsTheUnsignedHashModTheCount() {
    CollectionHashRouter r = new CollectionHashRouter();
    assertThat(r.vshardCount()).isEqualTo(1024);
    assertThat(r.vshardOfCollection("a")).isEqualTo(300); // 0xe40c292c = 3826002220
    assertThat(r.vshardOfCollection("foobar")).isEqualTo(360); // 0xbf9cf968 = 3214735720
    assertThat(new CollectionHashRouter(1000).vshardOfCollection("foobar")).isEqualTo(720);
    assertThat(r.vshardOf(Key.of("a", "any key"))).isEqualTo(r.vshardOf(Key.of("a", "other")));
  }

  @Test
  void badCountsAreRefused() {
    assertThatThrownBy(() -> new CollectionHashRouter(0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Property(tries = 1000)
  void hashEqualsFnvOverTheUtf8BytesStringGetBytesWouldGive(@ForAll("strings") String s) {
    assertThat(CollectionHashRouter.fnv1a32Utf8(s)).isEqualTo(reference(s));
  }

  @Property(tries = 300)
  void everyVShardIsInRange(
      @ForAll("strings") String s, @ForAll @IntRange(min = 1, max = 100_000) int count) {
    assertThat(new CollectionHashRouter(count).vshardOfCollection(s)).isBetween(0, count - 1);
  }

  /** A router that remembers recent answers must still give each collection its own vshard. */
  @Property(tries = 50)
  void aLongLivedRouterAgreesWithTheFormula(@ForAll @IntRange(min = 1, max = 5000) int count) {
    CollectionHashRouter r = new CollectionHashRouter(count);
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 2_000; i++) {
        String c = "col" + (i * 7919 % 2_000);
        assertThat(r.vshardOfCollection(c))
            .isEqualTo(Integer.remainderUnsigned(reference(c), count));
        assertThat(r.vshardOf(Key.of(new String(c.toCharArray()), "k")))
            .isEqualTo(r.vshardOfCollection(c));
      }
    }
  }

  /** Any chars: ASCII, BMP, valid surrogate pairs and lone surrogates. */
  @Provide
  Arbitrary<String> strings() {
    Arbitrary<String> pieces =
        Arbitraries.oneOf(
            Arbitraries.strings().ascii().ofMaxLength(3),
            Arbitraries.strings().withCharRange('\u0080', '\uffff').ofMaxLength(3),
            Arbitraries.of("😀", "𝄞", "\ud800", "\udfff", "\udbff\udfff", "\ud800a", "\u07ff"));
    return pieces.list().ofMaxSize(6).map(l -> String.join("", l));
  }

  private static int reference(String s) {
    int h = 0x811c9dc5;
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xff)) * 0x01000193;
    }
    return h;
  }
}
