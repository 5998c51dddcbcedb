package org.calvinseq.client;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.RaftRetryFailureException;
import org.apache.ratis.protocol.exceptions.StaleReadException;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.calvinseq.core.codec.CodecException;
import org.calvinseq.core.completion.CompletionState;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.core.protocol.NodeStatus;
import org.calvinseq.core.protocol.Protocol;

/**
 * Read-only queries (status, replay pages, completion state) sent to one named peer each, as Ratis
 * stale reads so that followers answer too (a plain read-only request is answered by the leader
 * only). One attempt per call, bounded by the request timeout: the callers choose the next peer and
 * the backoff, and every outcome is reported to {@link PeerHealth}.
 *
 * <p>These go through Ratis's blocking API, which keeps no per-peer request window that a failed
 * request could close (the asynchronous one does).
 */
final class QueryChannel implements AutoCloseable {
  private final RaftClient raft;
  private final PeerHealth health;
  private volatile boolean closed;

  QueryChannel(RaftClient raft, PeerHealth health) {
    this.raft = raft;
    this.health = health;
  }

  /**
   * Sends {@code query} to {@code peer}; returns the reply content.
   *
   * @throws IOException when the peer gave no answer or cannot serve reads yet (worth asking again,
   *     or another)
   * @throws QueryRefusedException when it answered with an error (not worth asking another)
   * @throws IllegalStateException {@code "client closed"} once the client is closed, even in a
   *     caller's retry loop that began before (no peer can answer a closed client)
   */
  ByteBuffer query(RaftPeerId peer, byte[] query) throws IOException {
    checkOpen();
    RaftClientReply reply;
    try {
      reply =
          raft.io().sendStaleRead(Message.valueOf(UnsafeByteOperations.unsafeWrap(query)), 0, peer);
    } catch (StateMachineException e) {
      health.success(peer);
      if (notReadyYet(e)) {
        throw new IOException(peer + " cannot serve reads yet: " + causeMessage(e), e);
      }
      throw new QueryRefusedException(peer + " refused the query: " + causeMessage(e), e);
    } catch (IOException e) {
      checkOpen();
      Throwable cause =
          e instanceof RaftRetryFailureException && e.getCause() != null ? e.getCause() : e;
      health.failure(peer, cause);
      throw new IOException("no answer from " + peer + ": " + cause, cause);
    }
    health.success(peer);
    if (!reply.isSuccess()) {
      if (notReadyYet(reply.getException())) {
        throw new IOException(
            peer + " cannot serve reads yet: " + causeMessage(reply.getException()),
            reply.getException());
      }
      throw new QueryRefusedException(
          peer + " refused the query: " + reply.getException(), reply.getException());
    }
    return reply.getMessage().getContent().asReadOnlyByteBuffer();
  }

  NodeStatus status(RaftPeerId peer) throws IOException {
    ByteBuffer b = query(peer, Protocol.statusQuery());
    try {
      return Protocol.decodeStatus(b);
    } catch (CodecException e) {
      throw new IOException("bad status reply from " + peer + ": " + e.getMessage(), e);
    }
  }

  Protocol.ReplayPage page(RaftPeerId peer, Protocol.ReplayQuery q) throws IOException {
    ByteBuffer b = query(peer, Protocol.replayQuery(q));
    try {
      return Protocol.decodePage(b);
    } catch (CodecException e) {
      throw new IOException("bad replay page from " + peer + ": " + e.getMessage(), e);
    }
  }

  CompletionState completion(RaftPeerId peer, TxnId id) throws IOException {
    ByteBuffer b = query(peer, Protocol.completionQuery(id));
    try {
      return Protocol.decodeCompletion(b);
    } catch (CodecException e) {
      throw new IOException("bad completion reply from " + peer + ": " + e.getMessage(), e);
    }
  }

  /**
   * A peer that has not learnt a commit index yet (just started) refuses stale reads; asked again a
   * little later, or another peer, it answers.
   */
  private static boolean notReadyYet(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof StaleReadException) {
        return true;
      }
    }
    return false;
  }

  private static String causeMessage(Throwable e) {
    Throwable c = e.getCause() != null ? e.getCause() : e;
    return c.getMessage() == null ? c.toString() : c.getMessage();
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("client closed");
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    raft.close();
  }
}
