package org.calvinseq.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Durations as people type them: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}, or ISO-8601.
 */
final class Durations implements ITypeConverter<Duration> {
  private static final Pattern SIMPLE = Pattern.compile("(\\d+)\\s*(ms|s|m|h)");

  @Override
  public Duration convert(String value) {
    return parse(value);
  }

  static Duration parse(String value) {
    String v = value.strip().toLowerCase(java.util.Locale.ROOT);
    Matcher m = SIMPLE.matcher(v);
    Duration d;
    if (m.matches()) {
      long n;
      try {
        n = Long.parseLong(m.group(1));
      } catch (NumberFormatException e) {
        throw new TypeConversionException("duration out of range: '" + value + "'");
      }
      d =
          switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
          };
    } else if (v.startsWith("p")) {
      try {
        d = Duration.parse(value.strip());
      } catch (DateTimeParseException e) {
        throw bad(value);
      }
    } else {
      throw bad(value);
    }
    if (d.isNegative() || d.isZero()) {
      throw new TypeConversionException("duration must be positive: '" + value + "'");
    }
    return d;
  }

  private static TypeConversionException bad(String value) {
    return new TypeConversionException(
        "bad duration '" + value + "': expected a number and a unit, e.g. 500ms, 30s, 5m, 1h");
  }
}
