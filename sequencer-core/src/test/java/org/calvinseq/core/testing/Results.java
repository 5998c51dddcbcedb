package org.calvinseq.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import org.calvinseq.core.apply.ApplyResult;

/** The case of an {@link ApplyResult} a test expects, failing the test when it is another. */
public final class Results {
  private Results() {}

  public static ApplyResult.Sequenced sequenced(ApplyResult r) {
    return as(r, ApplyResult.Sequenced.class);
  }

  public static ApplyResult.Stale stale(ApplyResult r) {
    return as(r, ApplyResult.Stale.class);
  }

  public static ApplyResult.OutOfRange outOfRange(ApplyResult r) {
    return as(r, ApplyResult.OutOfRange.class);
  }

  public static ApplyResult.DecodeError decodeError(ApplyResult r) {
    return as(r, ApplyResult.DecodeError.class);
  }

  public static ApplyResult.Acks acks(ApplyResult r) {
    return as(r, ApplyResult.Acks.class);
  }

  private static <T extends ApplyResult> T as(ApplyResult r, Class<T> type) {
    assertThat(r).isInstanceOf(type);
    return type.cast(r);
  }
}
