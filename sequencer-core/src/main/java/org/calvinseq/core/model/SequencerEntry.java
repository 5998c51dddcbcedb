package org.calvinseq.core.model;

/**
 * One Raft log entry of the sequencer group: a batch of transactions, a batch of acks, or the
 * record of the cluster's fixed settings.
 */
public sealed interface SequencerEntry permits EpochBatch, AckBatch, ClusterInit {}
