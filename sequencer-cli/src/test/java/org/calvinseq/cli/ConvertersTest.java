package org.calvinseq.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.BitSet;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

class ConvertersTest {
  @Test
  void vshardRangesParseAndFormatBackTheSame() {
    BitSet s = VShardRanges.parse(" 0-3, 7 ,9-10,4");
    assertThat(s.stream()).containsExactly(0, 1, 2, 3, 4, 7, 9, 10);
    assertThat(VShardRanges.format(s)).isEqualTo("0-4,7,9-10");
    assertThat(VShardRanges.parse(VShardRanges.format(s))).isEqualTo(s);
    assertThat(VShardRanges.parse("5-5").stream()).containsExactly(5);
  }

  @Test
  void vshardRangeErrorsNameTheBadPart() {
    assertThatThrownBy(() -> VShardRanges.parse("0-3,9-2"))
        .isInstanceOf(TypeConversionException.class)
        .hasMessageContaining("'9-2' is reversed");
    assertThatThrownBy(() -> VShardRanges.parse(""))
        .isInstanceOf(TypeConversionException.class)
        .hasMessageContaining("empty");
    assertThatThrownBy(() -> VShardRanges.parse("1-a"))
        .isInstanceOf(TypeConversionException.class)
        .hasMessageContaining("'1-a'");
  }

  @Test
  void durationsTakeUnitsOrIso() {
    assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(Durations.parse("30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(Durations.parse("5m")).isEqualTo(Duration.ofMinutes(5));
    assertThat(Durations.parse("2h")).isEqualTo(Duration.ofHours(2));
    assertThat(Durations.parse("PT1M30S")).isEqualTo(Duration.ofSeconds(90));
    assertThatThrownBy(() -> Durations.parse("30")).hasMessageContaining("e.g. 500ms, 30s");
    assertThatThrownBy(() -> Durations.parse("0s")).hasMessageContaining("positive");
  }
}
