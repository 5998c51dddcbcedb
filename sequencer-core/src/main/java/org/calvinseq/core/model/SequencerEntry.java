package org.calvinseq.core.model;

/** One Raft log entry of the sequencer group: a batch of transactions or a batch of acks. */
public sealed interface SequencerEntry permits EpochBatch, AckBatch {}
