package org.calvinseq.core.codec;

/**
 * An entry could not be decoded. The message names the field and the byte offset where decoding
 * stopped, so a bad entry can be found in a hex dump.
 */
public final class CodecException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String field;
  private final long offset;

  public CodecException(String field, long offset, String problem) {
    this(field, offset, problem, null);
  }

  public CodecException(String field, long offset, String problem, Throwable cause) {
    super(field + " at offset " + offset + ": " + problem, cause);
    this.field = field;
    this.offset = offset;
  }

  /** The field being decoded, as a path such as {@code txns[3].writeSet[0].collection}. */
  public String field() {
    return field;
  }

  /** Byte offset in the entry where the problem was found. */
  public long offset() {
    return offset;
  }
}
