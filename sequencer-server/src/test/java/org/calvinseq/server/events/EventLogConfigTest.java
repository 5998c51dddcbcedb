package org.calvinseq.server.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class EventLogConfigTest {
  @Test
  void defaultsKeepFiveGenerationsAndLeaveSyncToTheOs() {
    EventLogConfig c = EventLogConfig.of(Path.of("events.tsv"));
    assertThat(c.generations()).isEqualTo(5);
    assertThat(c.syncEvery()).isZero();
    assertThat(c.maxBytes()).isEqualTo(16L << 20);
    assertThat(c.withMaxBytes(8192).withSyncEvery(10).withGenerations(2).withQueueCapacity(7))
        .isEqualTo(new EventLogConfig(Path.of("events.tsv"), 8192, 2, 10, 7));
  }

  @Test
  void relativeFileLivesInTheDataDirectory() {
    Path data = Path.of("/var/lib/calvinseq");
    assertThat(EventLogConfig.of(Path.of("events.tsv")).resolveAgainst(data).file())
        .isEqualTo(data.resolve("events.tsv"));
    assertThat(EventLogConfig.of(Path.of("/var/log/e.tsv")).resolveAgainst(data).file())
        .isEqualTo(Path.of("/var/log/e.tsv"));
  }

  @Test
  void badSettingsFailAtConstruction() {
    EventLogConfig c = EventLogConfig.of(Path.of("e"));
    assertThatThrownBy(() -> c.withMaxBytes(100)).hasMessageContaining("maxBytes");
    assertThatThrownBy(() -> c.withGenerations(0)).hasMessageContaining("generations");
    assertThatThrownBy(() -> c.withSyncEvery(-1)).hasMessageContaining("syncEvery");
    assertThatThrownBy(() -> c.withQueueCapacity(0)).hasMessageContaining("queueCapacity");
    assertThatThrownBy(() -> EventLogConfig.of(null)).isInstanceOf(NullPointerException.class);
  }
}
