package org.calvinseq.server;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftClientAsynchronousProtocol;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.server.RaftServer;
import org.calvinseq.client.ProposalRejectedException;
import org.calvinseq.client.StaleEpochException;
import org.calvinseq.core.codec.CodecException;
import org.calvinseq.core.codec.WireFormat;
import org.calvinseq.core.model.SequencerEntry;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.core.protocol.Protocol;
import org.calvinseq.server.inbox.ClosedEpoch;
import org.calvinseq.server.ratis.EncodedEntry;

/**
 * Proposes the leader inbox's epochs straight to this node's own Raft server, as a write request of
 * a client id of its own, instead of through a Raft client: no gRPC round trip from the node to
 * itself, so no protobuf encoding, HTTP/2 framing and parsing of every epoch's bytes on the way in
 * and of the reply on the way out. The request takes the server's normal client-request path
 * ({@code startTransaction} validates it, the retry cache keys it by client and call id), and a
 * call returns once the entry is in the leader's log, so epochs proposed one after another by the
 * closer thread are appended in that order.
 *
 * <p>The request goes to the group's division itself when it takes client requests (Ratis's
 * division does: {@link RaftClientAsynchronousProtocol}), not through the {@link RaftServer}: the
 * server hands each request to the division's client-request pool and blocks until that thread has
 * appended it (a wake-up of that thread, and of the caller after, for every epoch). Called
 * directly, the division does the same work on the closer thread, which waited for it anyway.
 *
 * <p>Failures map as a client's would: the state machine's refusal to {@link
 * ProposalRejectedException} (bad input, not retried), a stale receipt to {@link
 * StaleEpochException}, anything else (no longer leader, a closed server) stays as it is: the
 * epoch's outcome is then unknown and its submitters may retry, which the apply path de-duplicates.
 */
final class LocalProposer implements Function<ClosedEpoch, CompletableFuture<BatchReceipt>> {
  private final Supplier<RaftServer> server;
  private final RaftGroupId group;
  private final ClientId clientId = ClientId.randomId();
  private final AtomicLong callIds = new AtomicLong();
  private final IntSupplier rulesVersion;

  /**
   * @param rulesVersion the apply rules this node's log records so far (its state machine's)
   */
  LocalProposer(Supplier<RaftServer> server, RaftGroupId group, IntSupplier rulesVersion) {
    this.server = server;
    this.group = group;
    this.rulesVersion = rulesVersion;
  }

  /**
   * Proposes an inbox's epoch: a grouped batch encoded from the runs its submissions brought once
   * the log records the rules that read it, else (the first epochs of a cluster, before its
   * cluster-init entry is applied) a batch of format 1. The rules only rise in log order, and the
   * entry goes after every entry applied here, so replicas read it under rules at least these.
   */
  @Override
  public CompletableFuture<BatchReceipt> apply(ClosedEpoch epoch) {
    return propose(
        rulesVersion.getAsInt() >= WireFormat.RULES_GROUPED
            ? EncodedEntry.of(epoch.batch(), epoch.runs())
            : EncodedEntry.of(epoch.batch()));
  }

  /**
   * Proposes an entry. Returns once the entry is in the leader's log (or refused), so an entry
   * proposed after this call returns comes after it in the log. The entry travels with its bytes
   * ({@link EncodedEntry}): the leader validates and applies it without decoding them.
   */
  CompletableFuture<BatchReceipt> propose(SequencerEntry entry) {
    return propose(EncodedEntry.of(entry));
  }

  private CompletableFuture<BatchReceipt> propose(EncodedEntry entry) {
    RaftServer s = server.get();
    if (s == null) {
      return CompletableFuture.failedFuture(new IllegalStateException("no Raft server"));
    }
    RaftClientRequest request =
        RaftClientRequest.newBuilder()
            .setClientId(clientId)
            .setServerId(s.getId())
            .setGroupId(group)
            .setCallId(callIds.incrementAndGet())
            .setMessage(entry)
            .setType(RaftClientRequest.writeRequestType())
            .build();
    try {
      return route(s).submitClientRequestAsync(request).thenApply(LocalProposer::receipt);
    } catch (IOException | RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Where a request goes: the group's division when it takes them, else the server. */
  RaftClientAsynchronousProtocol route(RaftServer s) throws IOException {
    return s.getDivision(group) instanceof RaftClientAsynchronousProtocol division ? division : s;
  }

  private static BatchReceipt receipt(RaftClientReply reply) {
    if (!reply.isSuccess()) {
      Throwable e = reply.getException();
      if (e instanceof StateMachineException sme) {
        Throwable cause = sme.getCause() != null ? sme.getCause() : sme;
        throw new ProposalRejectedException(
            cause.getMessage() != null ? cause.getMessage() : sme.toString());
      }
      throw new CompletionException(e);
    }
    BatchReceipt r;
    try {
      r = Protocol.decodeReceipt(reply.getMessage().getContent().asReadOnlyByteBuffer());
    } catch (CodecException e) {
      throw new IllegalStateException("undecodable receipt from this node's own server", e);
    }
    if (r.stale()) {
      throw new StaleEpochException(r);
    }
    return r;
  }
}
