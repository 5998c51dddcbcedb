package org.calvinseq.cli;

import java.util.BitSet;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The {@code --hosted} syntax: vshards and inclusive ranges separated by commas, such as {@code
 * 0-511} or {@code 0-127,512-639,1000}.
 */
final class VShardRanges implements ITypeConverter<BitSet> {
  /** Guards against a typo allocating a huge set; far above any sensible vshard count. */
  static final int MAX_VSHARD = (1 << 24) - 1;

  @Override
  public BitSet convert(String value) {
    return parse(value);
  }

  /**
   * Parses a range list.
   *
   * @throws TypeConversionException naming the bad element
   */
  static BitSet parse(String value) {
    if (value == null || value.isBlank()) {
      throw new TypeConversionException("empty vshard range list (form: 0-511,600)");
    }
    BitSet out = new BitSet();
    for (String part : value.split(",", -1)) {
      String p = part.strip();
      int dash = p.indexOf('-', 1);
      int from = number(p, dash < 0 ? p : p.substring(0, dash));
      int to = dash < 0 ? from : number(p, p.substring(dash + 1));
      if (from > to) {
        throw new TypeConversionException(
            "vshard range '" + p + "' is reversed: " + from + " > " + to);
      }
      out.set(from, to + 1);
    }
    return out;
  }

  private static int number(String part, String text) {
    try {
      int n = Integer.parseInt(text.strip());
      if (n < 0 || n > MAX_VSHARD) {
        throw new NumberFormatException("out of range");
      }
      return n;
    } catch (NumberFormatException e) {
      throw new TypeConversionException(
          "bad vshard range '"
              + part
              + "': expected N or N-M with 0 <= N <= M <= "
              + MAX_VSHARD
              + ", e.g. 0-511");
    }
  }

  /** Formats a set back into ranges; the inverse of {@link #parse}. */
  static String format(BitSet set) {
    StringBuilder sb = new StringBuilder();
    for (int from = set.nextSetBit(0); from >= 0; ) {
      int end = set.nextClearBit(from);
      if (sb.length() > 0) {
        sb.append(',');
      }
      sb.append(from);
      if (end - 1 > from) {
        sb.append('-').append(end - 1);
      }
      from = set.nextSetBit(end);
    }
    return sb.toString();
  }
}
