package org.calvinseq.core.apply;

import static org.assertj.core.api.Assertions.assertThat;

import org.calvinseq.core.codec.CodecException;
import org.calvinseq.core.codec.EntryDecoder;
import org.calvinseq.core.routing.CollectionHashRouter;
import org.calvinseq.core.testing.LogGenerator;
import org.junit.jupiter.api.Test;

/** The leader applies the entry it decoded while validating: same outcome as decoding again. */
class ApplyDecodedTest {
  @Test
  void applyingTheDecodedEntryEqualsApplyingItsBytes() {
    CollectionHashRouter router = new CollectionHashRouter(64);
    EpochStateMachine fromBytes = EpochStateMachine.builder().router(router).build();
    EpochStateMachine fromDecoded = EpochStateMachine.builder().router(router).build();
    EntryDecoder decoder = new EntryDecoder();
    int decodedOnes = 0;
    for (LogGenerator.Entry e : new LogGenerator(11, router).generate(400)) {
      ApplyResult a = fromBytes.apply(e.index(), e.bytes());
      ApplyResult b;
      try {
        b = fromDecoded.apply(e.index(), decoder.decode(e.bytes()));
        decodedOnes++;
      } catch (CodecException undecodable) {
        b = fromDecoded.apply(e.index(), e.bytes()); // a leader would have refused it
      }
      assertThat(b).as("entry at %d", e.index()).isEqualTo(a);
    }
    assertThat(decodedOnes).isGreaterThan(100);
    assertThat(fromDecoded.snapshot()).isEqualTo(fromBytes.snapshot());
    assertThat(fromDecoded.nextEpoch()).isPositive();
  }
}
