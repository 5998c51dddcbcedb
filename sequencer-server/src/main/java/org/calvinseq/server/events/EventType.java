package org.calvinseq.server.events;

/** The kinds of line in the event log; {@link #tag()} is the third column. */
public enum EventType {
  /** The event log was opened (node start); detail: the build version. */
  LOG_OPENED("log_opened"),
  /** A batch named an epoch above the expected one; epoch: the batch's epoch. */
  EPOCH_GAP("epoch_gap"),
  /** A batch named an epoch below the expected one and was not applied; epoch: the named one. */
  STALE_EPOCH("stale_epoch"),
  /** A log entry could not be decoded and was skipped. */
  DECODE_ERROR("decode_error"),
  /**
   * A batch named an epoch too far above the expected one and was skipped; epoch: the named one.
   */
  EPOCH_OUT_OF_RANGE("epoch_out_of_range"),
  /** A vshard's live queue refused a txn (full or closed): its consumer must replay. */
  VSHARD_BEHIND("vshard_behind"),
  /** A vshard's consumer replayed far enough and live delivery resumed. */
  VSHARD_CAUGHT_UP("vshard_caught_up"),
  /** This node learned of a new leader (or of none). */
  LEADER_CHANGE("leader_change"),
  /** This node wrote a snapshot of its state. */
  SNAPSHOT_TAKEN("snapshot_taken"),
  /** This node installed a snapshot from the leader (it had fallen too far behind). */
  SNAPSHOT_INSTALLED("snapshot_installed"),
  /** Events were lost before this line (queue full or I/O error); detail: how many. */
  EVENTS_DROPPED("events_dropped");

  private final String tag;

  EventType(String tag) {
    this.tag = tag;
  }

  /** The stable name written in the file. */
  public String tag() {
    return tag;
  }
}
