package org.calvinseq.server.inbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.calvinseq.core.codec.ProposalLimits;
import org.junit.jupiter.api.Test;

class InboxSettingsTest {
  @Test
  void defaultsAreTheDocumentedOnes() {
    InboxSettings s = InboxSettings.defaults(ProposalLimits.DEFAULTS);
    assertThat(s.epochInterval()).isEqualTo(Duration.ofMillis(10));
    assertThat(s.maxTxnsPerEpoch()).isEqualTo(8192);
    assertThat(s.maxBytesPerEpoch())
        .as("the entry limit, below NodeDB's 16 MiB")
        .isEqualTo(4 << 20);
    assertThat(s.eagerInFlight()).isEqualTo(2);
    assertThat(s.maxInFlight()).isEqualTo(8);
    assertThat(s.capacityTxns()).isEqualTo(262_144);
    assertThat(s.capacityBytes()).isEqualTo(64L << 20);
    assertThat(s.tenantShareTxns()).isEqualTo(32_768);
    assertThat(s.tenantShareBytes()).isEqualTo(8L << 20);
    assertThat(s.reserveTxns()).isEqualTo(32_768);
    assertThat(s.maxRetryAfter()).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void epochLimitsNeverExceedTheLeadersProposalLimits() {
    InboxSettings big = InboxSettings.defaults(new ProposalLimits(64 << 20, 10_000, 1024, 1 << 20));
    assertThat(big.maxBytesPerEpoch()).as("NodeDB's 16 MiB").isEqualTo(16 << 20);
    assertThat(big.capacityBytes()).as("sixteen full epochs").isEqualTo(256L << 20);
    InboxSettings small = InboxSettings.defaults(new ProposalLimits(1 << 20, 500, 1024, 1 << 20));
    assertThat(small.maxTxnsPerEpoch()).isEqualTo(500);
    assertThat(small.maxBytesPerEpoch()).isEqualTo(1 << 20);
    InboxSettings s = InboxSettings.defaults(ProposalLimits.DEFAULTS);
    assertThatThrownBy(() -> s.withEpochLimits(10_001, 1 << 20))
        .hasMessageContaining("maxTxnsPerEpoch must be in [1, 10000]");
    assertThatThrownBy(() -> s.withEpochLimits(1024, (4 << 20) + 1))
        .hasMessageContaining("(the leader's max entry size)");
  }

  @Test
  void inconsistentSettingsAreRefused() {
    InboxSettings s = InboxSettings.defaults(ProposalLimits.DEFAULTS);
    assertThatThrownBy(() -> s.withInFlight(3, 2))
        .hasMessageContaining("eagerInFlight <= maxInFlight");
    assertThatThrownBy(() -> s.withCapacity(4096, 64L << 20, 8, 8))
        .hasMessageContaining("a tenant's share (1/8 of 4096 txns")
        .hasMessageContaining("must hold a full epoch");
    assertThatThrownBy(() -> s.withCapacity(1 << 18, 64L << 20, 8, 1))
        .hasMessageContaining("reserveDivisor must be 0 (no reserve) or >= 2");
    assertThatThrownBy(() -> s.withEpochInterval(Duration.ZERO)).hasMessageContaining("positive");
    assertThat(s.withCapacity(1 << 18, 64L << 20, 8, 0).reserveTxns()).isZero();
  }
}
