package org.calvinseq.core.apply;

import java.util.Arrays;
import java.util.List;
import org.calvinseq.core.completion.CompletionRegistry;

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
    CompletionRegistry.Watermark completionsEvicted) {

  /** A state with no completion eviction watermark. */
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

  public SequencerState {
    java.util.Objects.requireNonNull(completionsEvicted, "completionsEvicted");
    gaps = List.copyOf(gaps);
    epochIndex = epochIndex.clone();
    completions = List.copyOf(completions);
    if (epochIndex.length % 3 != 0) {
      throw new IllegalArgumentException("epochIndex must hold triples");
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
        && completionsEvicted.equals(s.completionsEvicted);
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
        + "]";
  }
}
