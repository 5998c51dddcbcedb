/**
 * The sequencer's core: the model, the wire format, and the deterministic apply path that turns the
 * committed log into a total order of transactions and delivers each one to the vshards it touches.
 *
 * <p>This is the sequencing layer of Calvin (A. Thomson, T. Diamond, S.-C. Weng, K. Ren, P. Shao,
 * D. J. Abadi, "Calvin: Fast Distributed Transactions for Partitioned Database Systems", SIGMOD
 * 2012): replicas agree on the input, not on the effects, so the order itself must be a pure
 * function of the log. Hence the <b>determinism contract</b> of everything reachable from {@link
 * org.calvinseq.core.apply.EpochStateMachine#apply}:
 *
 * <ol>
 *   <li>The same log gives the same result on every replica: the same epochs, positions and epoch
 *       times, the same deliveries, the same counters, the same snapshot bytes. Time comes from the
 *       log (the proposer's clock, made monotonic: {@code epochSystemMs}); never from this node.
 *       Decisions that depend on time or on what came before are made from the log alone too: which
 *       retried txn is a duplicate, when a client id is forgotten, when completion state is
 *       evicted.
 *   <li>No clock, no randomness, no environment: nothing reads {@code System.currentTimeMillis},
 *       {@code nanoTime}, {@code Instant.now}, a {@code Clock}, {@code Random} or a system
 *       property.
 *   <li>No I/O and no blocking: no files, network or logging, no sleeping, no waiting for a lock
 *       another thread holds across I/O. Offers to vshard queues never block; a full queue puts its
 *       vshard behind and its consumer replays.
 *   <li>Total over its input: bad bytes, stale or absurd epochs are counted, reported to the {@link
 *       org.calvinseq.core.apply.ApplyListener} and skipped on every replica alike, never thrown.
 * </ol>
 *
 * The driver (the Ratis adapter in {@code sequencer-server}) owns threads, disk, clocks and
 * logging; it decodes, delegates and encodes. The build enforces the contract: the forbidden-API
 * check ({@code de.thetaphi:forbiddenapis} in this module's pom) rejects clocks, randomness,
 * sleeping and logging in main code, an enforcer rule keeps Ratis, Netty and gRPC out, and {@code
 * CorePackagesTest} keeps the packages free of cycles.
 *
 * <p>Packages, from the bottom: {@code model}; {@code codec} (the log's bytes); {@code routing}
 * (key to vshard, a txn's participants); {@code completion}; {@code metrics}; {@code dedupe} (which
 * client txn ids were sequenced, so that a retry is not sequenced twice); {@code replay} (the epoch
 * index, replay and its pages); {@code queue} (per-vshard delivery); {@code apply} (the state
 * machine and its snapshot encoding); {@code protocol} (client messages that are not log entries).
 */
package org.calvinseq.core;
