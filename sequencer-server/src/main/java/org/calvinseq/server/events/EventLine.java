package org.calvinseq.server.events;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * One event as a line of the file: {@code time TAB node TAB type TAB epoch TAB index TAB detail
 * LF}. The time is UTC with milliseconds and a fixed width; an absent number (negative) or an empty
 * text is {@code -}; a backslash, tab, CR, LF or other control character in a text is escaped
 * ({@code \\}, {@code \t}, {@code \r}, {@code \n}, {@code \}{@code uXXXX}), so the column count
 * never changes.
 */
final class EventLine {
  static final int COLUMNS = 6;

  /** Longer details are cut here (before escaping) and end in "...". */
  static final int MAX_DETAIL_CHARS = 1000;

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private EventLine() {}

  /** One event as it waits in the queue: stamped when it happened, formatted by the writer. */
  record Event(long epochMillis, EventType type, long epoch, long index, String detail) {}

  static byte[] format(Event e, String node) {
    StringBuilder b = new StringBuilder(96);
    b.append(TIME.format(Instant.ofEpochMilli(e.epochMillis()))).append('\t');
    text(b, node).append('\t');
    b.append(e.type().tag()).append('\t');
    number(b, e.epoch()).append('\t');
    number(b, e.index()).append('\t');
    String d = e.detail();
    if (d != null && d.length() > MAX_DETAIL_CHARS) {
      d = d.substring(0, MAX_DETAIL_CHARS) + "...";
    }
    text(b, d).append('\n');
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static StringBuilder number(StringBuilder b, long n) {
    return n < 0 ? b.append('-') : b.append(n);
  }

  static StringBuilder text(StringBuilder b, String s) {
    if (s == null || s.isEmpty()) {
      return b.append('-');
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\\' -> b.append("\\\\");
        case '\t' -> b.append("\\t");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b;
  }
}
