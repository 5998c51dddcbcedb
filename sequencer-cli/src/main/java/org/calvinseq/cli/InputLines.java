package org.calvinseq.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The lines of an input read as bytes, each checked to be UTF-8 and at most {@code maxLineBytes}
 * long, so that neither a binary file nor one without a newline ({@code /dev/zero}) gets further
 * than a message naming the line: a decoding reader would replace bad bytes or report them without
 * a place, and {@code readLine} would grow one line until the heap is gone.
 *
 * <p>A line ends at {@code \n}; a {@code \r} before it is dropped. Problems are {@link
 * TxnJson.BadInput} naming the source, the line and, for bad UTF-8, the byte offset.
 */
final class InputLines implements AutoCloseable {
  private final InputStream in;
  private final String source;
  private final int maxLineBytes;
  private final String whyBound;
  private final byte[] chunk = new byte[64 * 1024];
  private int chunkPos;
  private int chunkLen;
  private byte[] line = new byte[8 * 1024];
  private int lineLen;
  private long lineStart;
  private long consumed;
  private int number;

  /**
   * @param whyBound says where {@code maxLineBytes} comes from, for the message of a longer line
   */
  InputLines(InputStream in, String source, int maxLineBytes, String whyBound) {
    this.in = in;
    this.source = source;
    this.maxLineBytes = maxLineBytes;
    this.whyBound = whyBound;
  }

  /** The number of the line {@link #next()} returned last (1-based). */
  int number() {
    return number;
  }

  /** The bytes of the line {@link #next()} returned last, valid until the next call. */
  byte[] bytes() {
    return line;
  }

  /** Returns the length of the next line, valid UTF-8, or -1 at the end of the input. */
  int next() throws IOException, TxnJson.BadInput {
    lineLen = 0;
    lineStart = consumed;
    boolean any = false;
    while (true) {
      if (chunkPos == chunkLen) {
        chunkLen = read();
        chunkPos = 0;
        if (chunkLen < 0) {
          chunkLen = 0;
          if (!any) {
            return -1;
          }
          break;
        }
      }
      any = true;
      int end = chunkPos;
      while (end < chunkLen && chunk[end] != '\n') {
        end++;
      }
      boolean newline = end < chunkLen;
      append(chunkPos, end - chunkPos);
      consumed += end - chunkPos + (newline ? 1 : 0);
      chunkPos = newline ? end + 1 : end;
      if (newline) {
        break;
      }
    }
    number++;
    if (lineLen > 0 && line[lineLen - 1] == '\r') {
      lineLen--;
    }
    checkUtf8();
    return lineLen;
  }

  private int read() throws TxnJson.BadInput {
    try {
      return in.read(chunk);
    } catch (IOException e) {
      throw new TxnJson.BadInput(source + ": reading failed at byte offset " + consumed + ": " + e);
    }
  }

  private void append(int from, int n) throws TxnJson.BadInput {
    if ((long) lineLen + n > maxLineBytes) {
      throw new TxnJson.BadInput(
          source
              + " line "
              + (number + 1)
              + ": longer than "
              + maxLineBytes
              + " bytes ("
              + whyBound
              + "); is it a JSON-lines file?");
    }
    if (lineLen + n > line.length) {
      line = Arrays.copyOf(line, (int) Math.min(maxLineBytes, Math.max(lineLen + n, 2L * lineLen)));
    }
    System.arraycopy(chunk, from, line, lineLen, n);
    lineLen += n;
  }

  private void checkUtf8() throws TxnJson.BadInput {
    CharsetDecoder d =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer bytes = ByteBuffer.wrap(line, 0, lineLen);
    CharBuffer sink = CharBuffer.allocate(8 * 1024);
    while (true) {
      CoderResult r = d.decode(bytes, sink, true);
      if (r.isError()) {
        int at = bytes.position();
        throw new TxnJson.BadInput(
            source
                + " line "
                + number
                + ": invalid UTF-8 at byte "
                + (at + 1)
                + " of the line (byte offset "
                + (lineStart + at)
                + " of the input, 0x"
                + String.format("%02x", line[at] & 0xff)
                + ")");
      }
      if (r.isUnderflow()) {
        return;
      }
      sink.clear();
    }
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
