package org.calvinseq.core.metrics;

/**
 * A read-only snapshot of the core's counters, for embedders that want the numbers without going
 * through a Micrometer registry. Each value is the count since the node started (as the counter of
 * the same meaning: docs/metrics.md maps each accessor to its Micrometer and Prometheus name).
 *
 * @param epochsApplied batches that became an epoch ({@code sequencer.epochs.applied})
 * @param epochGaps batches that named an epoch above the expected one ({@code
 *     sequencer.epoch.gaps})
 * @param gapEpochs epoch numbers skipped by gaps ({@code sequencer.epoch.gap.epochs})
 * @param staleEpochs batches that named an epoch below the expected one ({@code
 *     sequencer.epochs.stale})
 * @param decodeErrors log entries that could not be decoded ({@code sequencer.decode.errors})
 * @param txnsSequenced txns given an (epoch, position) ({@code sequencer.txns.sequenced})
 * @param deliveredLive txns handed to consumers from their queues ({@code
 *     sequencer.deliveries{path=live}})
 * @param deliveredReplay txns handed to consumers through replay ({@code
 *     sequencer.deliveries{path=replay}})
 * @param droppedFull live deliveries not made because the queue was full ({@code
 *     sequencer.drops{reason=full}})
 * @param droppedClosed live deliveries not made because the queue was closed ({@code
 *     sequencer.drops{reason=closed}})
 * @param droppedBehind live deliveries not made because the vshard was behind ({@code
 *     sequencer.drops{reason=behind}})
 * @param acksApplied completion acks applied ({@code sequencer.acks.applied})
 * @param completions txns whose every participant acked ({@code sequencer.completions})
 * @param duplicates txns not sequenced because their client txn id was already sequenced ({@code
 *     sequencer.txns.not.sequenced{reason=duplicate}})
 * @param sequenceTooOld txns refused because their sequence was below their client's window ({@code
 *     sequencer.txns.not.sequenced{reason=sequence_too_old}})
 */
public record SequencerCounters(
    long epochsApplied,
    long epochGaps,
    long gapEpochs,
    long staleEpochs,
    long decodeErrors,
    long txnsSequenced,
    long deliveredLive,
    long deliveredReplay,
    long droppedFull,
    long droppedClosed,
    long droppedBehind,
    long acksApplied,
    long completions,
    long duplicates,
    long sequenceTooOld) {}
