package org.calvinseq.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.calvinseq.core.codec.WireFormat;
import org.calvinseq.server.admin.CheckResult;
import org.junit.jupiter.api.Test;

/** A node whose epoch space is used up (every batch skipped) must not answer /ready with 200. */
class EpochsAvailableCheckTest {
  @Test
  void passesUntilTheLastEpochIsTakenThenFailsNamingIt() {
    assertThat(NodeAdmin.epochsAvailable(0).passed()).isTrue();
    assertThat(NodeAdmin.epochsAvailable(WireFormat.MAX_EPOCH).passed()).isTrue();
    CheckResult exhausted = NodeAdmin.epochsAvailable(Long.MAX_VALUE);
    assertThat(exhausted.passed()).isFalse();
    assertThat(exhausted.reason())
        .contains("next epoch 9223372036854775807")
        .contains("last epoch 9223372036854775806");
  }
}
