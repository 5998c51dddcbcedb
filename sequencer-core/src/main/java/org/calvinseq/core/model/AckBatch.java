package org.calvinseq.core.model;

import java.util.List;
import java.util.Objects;

/** Several completion acks in one log entry, so acking does not cost one Raft entry per txn. */
public record AckBatch(List<CompletionAck> acks) implements SequencerEntry {
  public AckBatch {
    acks = List.copyOf(Objects.requireNonNull(acks, "acks"));
  }
}
