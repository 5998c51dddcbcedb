package org.calvinseq.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PacerTest {
  @Test
  void stepsFallDueOneIntervalApart() {
    Pacer p = new Pacer(1_000, 10, 5_000);
    assertThat(p.waitNanos(995)).isEqualTo(5);
    assertThat(p.waitNanos(1_000)).isZero();
    assertThat(p.take()).isEqualTo(1_000);
    assertThat(p.waitNanos(1_003)).isEqualTo(7);
    assertThat(p.take()).isEqualTo(1_010);
  }

  @Test
  void aBacklogFromTheWarmUpIsSkippedWhenTheWindowStarts() {
    Pacer p = new Pacer(0, 10, 100);
    assertThat(p.take()).isZero();
    // The warm-up fell behind: at 60 the step due at 10 is still unsent, and is sent late.
    assertThat(p.waitNanos(60)).isEqualTo(-50);
    assertThat(p.take()).isEqualTo(10);
    // The window starts with steps 20..90 unsent: they are skipped, the next is due at 100.
    assertThat(p.waitNanos(150)).isEqualTo(-50);
    assertThat(p.take()).isEqualTo(100);
    // Falling behind inside the window still counts from each step's due time.
    assertThat(p.waitNanos(400)).isEqualTo(-290);
    assertThat(p.take()).isEqualTo(110);
    assertThat(p.take()).isEqualTo(120);
  }

  @Test
  void aPacerOnScheduleAtTheWindowKeepsItsSchedule() {
    Pacer p = new Pacer(0, 30, 100);
    for (int i = 0; i < 4; i++) {
      p.take(); // 0, 30, 60, 90
    }
    assertThat(p.waitNanos(100)).as("due at 120, not moved to 100").isEqualTo(20);
    assertThat(p.take()).isEqualTo(120);
  }

  @Test
  void theIntervalMustBePositive() {
    assertThatThrownBy(() -> new Pacer(0, 0, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("interval");
  }
}
