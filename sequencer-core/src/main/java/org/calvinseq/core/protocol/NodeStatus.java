package org.calvinseq.core.protocol;

/**
 * One node's view of itself, as served by status queries.
 *
 * @param nodeId the Raft peer id
 * @param role LEADER, FOLLOWER, CANDIDATE, LISTENER or UNKNOWN
 * @param leaderId the current leader's id, or empty when there is none
 * @param term the current Raft term
 * @param lastAppliedEpoch -1 before the first batch
 * @param lastAppliedIndex Raft index of the last applied entry
 * @param commitIndex Raft commit index known to this node
 * @param firstReplayableEpoch the oldest epoch replay can still serve
 * @param vshardCount the cluster's vshard count
 */
public record NodeStatus(
    String nodeId,
    String role,
    String leaderId,
    long term,
    long lastAppliedEpoch,
    long lastAppliedIndex,
    long commitIndex,
    long firstReplayableEpoch,
    int vshardCount) {}
