package org.calvinseq.core.model;

import java.util.Objects;

/**
 * A txn of an applied batch that did not get its position, because its {@link ClientTxnId} says it
 * is a retry (docs/wire-format.md, section 9a). Its position in the epoch stays empty: no txn has
 * it, nothing is delivered or replayed for it.
 *
 * @param position the txn's index in the batch
 * @param reason why it was not sequenced
 * @param original for {@link Reason#DUPLICATE}, the id the txn got when it was first sequenced;
 *     null for {@link Reason#SEQUENCE_TOO_OLD}
 */
public record NotSequenced(int position, Reason reason, TxnId original) {
  public NotSequenced {
    Objects.requireNonNull(reason, "reason");
    if (position < 0) {
      throw new IllegalArgumentException("position must be >= 0: " + position);
    }
    if ((reason == Reason.DUPLICATE) != (original != null)) {
      throw new IllegalArgumentException(
          "a DUPLICATE has its original id and only a DUPLICATE has one: " + reason);
    }
  }

  /** The txn was sequenced before, at {@code original}; this copy was not delivered. */
  public static NotSequenced duplicate(int position, TxnId original) {
    return new NotSequenced(position, Reason.DUPLICATE, Objects.requireNonNull(original));
  }

  /** The txn's sequence is below its client's window: it was refused, not delivered. */
  public static NotSequenced tooOld(int position) {
    return new NotSequenced(position, Reason.SEQUENCE_TOO_OLD, null);
  }

  /** Why a txn was not sequenced; the codes are those of receipts (wire-format.md, section 13). */
  public enum Reason {
    /** Its client txn id was already sequenced, and is still remembered. */
    DUPLICATE(1),
    /**
     * Its sequence is at or below the highest one its client's window has forgotten: whether it was
     * sequenced before cannot be told, so it is refused. The client must treat the txn as possibly
     * sequenced and not retry it with this id.
     */
    SEQUENCE_TOO_OLD(2);

    private final int code;

    Reason(int code) {
      this.code = code;
    }

    public int code() {
      return code;
    }

    /**
     * The reason with {@code code}.
     *
     * @throws IllegalArgumentException for a code no reason has
     */
    public static Reason ofCode(int code) {
      for (Reason r : values()) {
        if (r.code == code) {
          return r;
        }
      }
      throw new IllegalArgumentException("unknown not-sequenced reason " + code);
    }
  }
}
