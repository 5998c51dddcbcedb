package org.calvinseq.it.fault;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/** Follows a growing log file from a point on, counting the lines that match a pattern. */
final class LogWatch {
  private final Path file;
  private final Pattern pattern;
  private long offset;
  private String partial = "";
  private int matches;

  private LogWatch(Path file, Pattern pattern, long offset) {
    this.file = file;
    this.pattern = pattern;
    this.offset = offset;
  }

  /** Watches what is appended to {@code file} from now on. */
  static LogWatch fromEnd(Path file, Pattern pattern) {
    try {
      return new LogWatch(file, pattern, Files.exists(file) ? Files.size(file) : 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Matching lines appended since the watch began. */
  synchronized int matches() {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
      long length = f.length();
      if (length <= offset) {
        return matches;
      }
      byte[] b = new byte[(int) Math.min(length - offset, 64 << 20)];
      f.seek(offset);
      f.readFully(b);
      offset += b.length;
      String text = partial + new String(b, StandardCharsets.ISO_8859_1);
      int last = text.lastIndexOf('\n');
      partial = text.substring(last + 1);
      for (String line : text.substring(0, last + 1).split("\n")) {
        if (pattern.matcher(line).find()) {
          matches++;
        }
      }
      return matches;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
