package org.calvinseq.testkit;

import java.nio.file.Path;

/**
 * What a node process needs to know to start as member {@code index} of a {@link LocalCluster}.
 *
 * @param index the member's index in the cluster, from 0
 * @param nodeId its Raft peer id
 * @param clusterName the name of the cluster's Raft group
 * @param peers every member as {@code id@host:port,...}: the addresses the peers dial (proxies when
 *     the cluster has them)
 * @param dataDir its data directory
 * @param raftBindPort the port its Raft server must listen on when it differs from the port of its
 *     own peer address (behind a proxy), else -1
 * @param adminPort the port of its admin HTTP endpoint
 */
public record NodeLaunch(
    int index,
    String nodeId,
    String clusterName,
    String peers,
    Path dataDir,
    int raftBindPort,
    int adminPort) {}
