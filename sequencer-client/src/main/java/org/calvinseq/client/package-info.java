/**
 * The client of a sequencer cluster: {@link org.calvinseq.client.SequencerClient}, built with
 * {@link org.calvinseq.client.SequencerClient#builder()}.
 *
 * <p>What the client promises its caller:
 *
 * <ol>
 *   <li>Every call ends: proposals, submits, completion waits and replay pages fail after the call
 *       timeout at the latest ({@link org.calvinseq.client.SequencerUnavailableException}), and
 *       {@code close()} fails whatever is still pending with {@code IllegalStateException("client
 *       closed")}.
 *   <li>Retries wait: exponential backoff with jitter ({@link org.calvinseq.client.RetryBackoff});
 *       only a "not leader, try n2" answer is followed at once.
 *   <li>A retried proposal is not sequenced twice: Ratis resends the same request (client id and
 *       call id), and every server's retry cache answers a request it already applied with the
 *       first reply. A call that failed as unavailable has an unknown outcome; the {@link
 *       org.calvinseq.core.model.ClientTxnId} the batcher gives every submitted txn identifies it
 *       in the log.
 *   <li>Submissions of one thread are proposed in submission order (one sender thread, Ratis's
 *       ordered asynchronous requests), so their TxnIds increase.
 *   <li>Remote replay returns what the serving node's local replay returns, also across a failover
 *       to another peer in mid-range.
 * </ol>
 *
 * <p>Ratis types appear only in the peer and group identifiers of the API ({@code RaftPeer}, {@code
 * RaftPeerId}, {@code RaftGroup}); the transport stays inside this package.
 */
package org.calvinseq.client;
