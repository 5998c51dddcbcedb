package org.calvinseq.core.apply;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.calvinseq.core.completion.CompletionRegistry;
import org.calvinseq.core.dedupe.ClientWindows;
import org.calvinseq.core.model.ClusterInit;
import org.calvinseq.core.replay.EpochIndex;

/**
 * Everything the apply path needs to continue from a point in the log: the snapshot value.
 * Restoring it and applying the rest of the log gives the same state as applying the whole log.
 *
 * @param vshardCount the cluster's vshard count; a node with another count refuses the state
 * @param lastAppliedIndex Raft index of the last applied entry (-1 for none)
 * @param nextEpoch the epoch the next auto batch gets
 * @param lastAppliedEpoch -1 before the first batch
 * @param lastEpochSystemMs the last epoch's deterministic time (-1 before the first batch)
 * @param gaps the most recent gap ranges, oldest first
 * @param droppedThroughEpoch highest epoch dropped from the replay index (-1 for none)
 * @param epochIndex retained replay index as {epoch, logIndex, epochSystemMs} triples
 * @param completions tracked completion states, in eviction order
 * @param completionsEvicted the completion registry's eviction watermark ({@link
 *     CompletionRegistry.Watermark#NONE} in snapshots that predate it)
 * @param rulesVersion the apply rules the log has recorded (1 in snapshots that predate the field);
 *     de-duplication runs from version 2
 * @param epochHoles the empty positions of indexed epochs (txns not sequenced as retries), oldest
 *     first; empty in snapshots that predate de-duplication
 * @param clients the de-duplication state, least recently seen client first; empty in snapshots
 *     that predate it
 */
public record SequencerState(
    int vshardCount,
    long lastAppliedIndex,
    long nextEpoch,
    long lastAppliedEpoch,
    long lastEpochSystemMs,
    List<GapRange> gaps,
    long droppedThroughEpoch,
    long[] epochIndex,
    List<CompletionRegistry.State> completions,
    CompletionRegistry.Watermark completionsEvicted,
    int rulesVersion,
    List<EpochIndex.Holes> epochHoles,
    List<ClientWindows.Client> clients) {

  /** A state without de-duplication state (as snapshots before it had). */
  public SequencerState(
      int vshardCount,
      long lastAppliedIndex,
      long nextEpoch,
      long lastAppliedEpoch,
      long lastEpochSystemMs,
      List<GapRange> gaps,
      long droppedThroughEpoch,
      long[] epochIndex,
      List<CompletionRegistry.State> completions,
      CompletionRegistry.Watermark completionsEvicted) {
    this(
        vshardCount,
        lastAppliedIndex,
        nextEpoch,
        lastAppliedEpoch,
        lastEpochSystemMs,
        gaps,
        droppedThroughEpoch,
        epochIndex,
        completions,
        completionsEvicted,
        ClusterInit.FIRST_RULES_VERSION,
        List.of(),
        List.of());
  }

  /** A state with no completion eviction watermark and no de-duplication state. */
  public SequencerState(
      int vshardCount,
      long lastAppliedIndex,
      long nextEpoch,
      long lastAppliedEpoch,
      long lastEpochSystemMs,
      List<GapRange> gaps,
      long droppedThroughEpoch,
      long[] epochIndex,
      List<CompletionRegistry.State> completions) {
    this(
        vshardCount,
        lastAppliedIndex,
        nextEpoch,
        lastAppliedEpoch,
        lastEpochSystemMs,
        gaps,
        droppedThroughEpoch,
        epochIndex,
        completions,
        CompletionRegistry.Watermark.NONE);
  }

  /**
   * @throws IllegalArgumentException if the epoch index is not triples, the rules version is below
   *     1, empty positions name one epoch twice, or the clients repeat an id or are not in
   *     last-seen order
   */
  public SequencerState {
    if (rulesVersion < ClusterInit.FIRST_RULES_VERSION) {
      throw new IllegalArgumentException("rulesVersion must be >= 1: " + rulesVersion);
    }
    java.util.Objects.requireNonNull(completionsEvicted, "completionsEvicted");
    gaps = List.copyOf(gaps);
    epochIndex = epochIndex.clone();
    completions = List.copyOf(completions);
    epochHoles = List.copyOf(epochHoles);
    clients = List.copyOf(clients);
    if (epochIndex.length % 3 != 0) {
      throw new IllegalArgumentException("epochIndex must hold triples");
    }
    Set<Long> epochs = new HashSet<>();
    for (EpochIndex.Holes h : epochHoles) {
      if (!epochs.add(h.epoch())) {
        throw new IllegalArgumentException("empty positions of epoch " + h.epoch() + " twice");
      }
    }
    Set<Long> ids = new HashSet<>();
    long seen = Long.MIN_VALUE;
    for (ClientWindows.Client c : clients) {
      if (!ids.add(c.clientId()) || c.lastSeenMs() < seen) {
        throw new IllegalArgumentException("clients repeat an id or are out of order at " + c);
      }
      seen = c.lastSeenMs();
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SequencerState s
        && vshardCount == s.vshardCount
        && lastAppliedIndex == s.lastAppliedIndex
        && nextEpoch == s.nextEpoch
        && lastAppliedEpoch == s.lastAppliedEpoch
        && lastEpochSystemMs == s.lastEpochSystemMs
        && gaps.equals(s.gaps)
        && droppedThroughEpoch == s.droppedThroughEpoch
        && Arrays.equals(epochIndex, s.epochIndex)
        && completions.equals(s.completions)
        && completionsEvicted.equals(s.completionsEvicted)
        && rulesVersion == s.rulesVersion
        && epochHoles.equals(s.epochHoles)
        && clients.equals(s.clients);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(lastAppliedIndex) * 31 + Long.hashCode(nextEpoch);
  }

  @Override
  public String toString() {
    return "SequencerState[index="
        + lastAppliedIndex
        + ", nextEpoch="
        + nextEpoch
        + ", lastEpochSystemMs="
        + lastEpochSystemMs
        + ", gaps="
        + gaps.size()
        + ", indexed="
        + epochIndex.length / 3
        + ", completions="
        + completions.size()
        + ", rules="
        + rulesVersion
        + ", epochsWithHoles="
        + epochHoles.size()
        + ", clients="
        + clients.size()
        + "]";
  }
}
