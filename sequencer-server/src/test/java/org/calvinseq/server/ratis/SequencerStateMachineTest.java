package org.calvinseq.server.ratis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.proto.RaftProtos.StateMachineLogEntryProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.LifeCycle;
import org.calvinseq.core.apply.ApplyListener;
import org.calvinseq.core.apply.ApplyResult;
import org.calvinseq.core.apply.EpochStateMachine;
import org.calvinseq.core.apply.StateCodec;
import org.calvinseq.core.codec.EntryEncoder;
import org.calvinseq.core.codec.ProposalLimits;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.core.protocol.Protocol;
import org.calvinseq.core.routing.CollectionHashRouter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Ratis adapter on its own: plain objects on real storage directories, fed log entries built as
 * Ratis builds them, without a running Raft server.
 */
class SequencerStateMachineTest {
  private static final int VSHARDS = 8;
  private static final RaftGroupId GROUP = RaftGroupId.randomId();

  @TempDir Path dir;

  private final List<Replica> opened = new java.util.ArrayList<>();

  @AfterEach
  void closeAll() throws IOException {
    for (Replica r : opened) {
      r.close();
    }
  }

  @Test
  void anExceptionInApplyIsCountedAndSkippedAlikeOnEveryReplica() throws Exception {
    // A listener that throws is a bug of the kind the adapter guards against: the core fails
    // half-way through the entry. It throws on every replica alike, as a real bug would.
    ApplyListener throwsOnGap =
        new ApplyListener() {
          @Override
          public void onGap(long index, long fromEpoch, long toEpoch) {
            throw new IllegalStateException("bug at index " + index);
          }
        };
    Replica a = open("a", throwsOnGap, RaftStorage.StartupOption.FORMAT);
    Replica b = open("b", throwsOnGap, RaftStorage.StartupOption.FORMAT);
    List<byte[]> log =
        List.of(
            encode(EpochBatch.auto(1000, List.of(txn(1)))),
            encode(new EpochBatch(5, 1001, List.of(txn(2)))), // names epoch 5: a gap, and a throw
            encode(EpochBatch.auto(1002, List.of(txn(3)))));
    for (Replica r : List.of(a, b)) {
      BatchReceipt first = r.applyAsFollower(1, 1, log.get(0));
      BatchReceipt failed = r.applyAsFollower(1, 2, log.get(1));
      BatchReceipt after = r.applyAsFollower(1, 3, log.get(2));
      assertThat(first.outcome()).isEqualTo(ApplyResult.Kind.APPLIED);
      assertThat(failed.outcome()).isEqualTo(ApplyResult.Kind.DECODE_ERROR);
      assertThat(after.sequenced()).as("the replica goes on after the failed entry").isTrue();
      assertThat(r.counter("sequencer.apply.failures")).isEqualTo(1);
      assertThat(r.core.lastAppliedIndex()).isEqualTo(3);
      assertThat(r.sm.getLastAppliedTermIndex()).isEqualTo(TermIndex.valueOf(1, 3));
    }
    assertThat(a.core.lastAppliedEpoch()).isEqualTo(b.core.lastAppliedEpoch());
    assertThat(a.state()).as("both replicas end in the same state").isEqualTo(b.state());
  }

  @Test
  void theLeaderAppliesWhatItDecodedInStartTransaction() throws Exception {
    Replica leader = open("leader", ApplyListener.NONE, RaftStorage.StartupOption.FORMAT);
    byte[] proposal = encode(EpochBatch.auto(System.currentTimeMillis(), List.of(txn(1), txn(2))));
    TransactionContext started = leader.sm.startTransaction(request(proposal));
    assertThat(started.getException()).isNull();
    assertThat(started.getStateMachineContext()).as("the decoded proposal is kept").isNotNull();

    // Ratis keeps the leader's context with the entry it appends and applies. Here the entry's
    // bytes are not a valid entry: a second decode would make the apply a DECODE_ERROR.
    byte[] garbage = "not an entry".getBytes(StandardCharsets.UTF_8);
    TransactionContext committed =
        TransactionContext.newBuilder()
            .setStateMachine(leader.sm)
            .setServerRole(RaftPeerRole.LEADER)
            .setClientRequest(request(garbage))
            .setStateMachineContext(started.getStateMachineContext())
            .build();
    committed.initLogEntry(1, 1);
    BatchReceipt r = receipt(leader.sm.applyTransaction(committed).get());
    assertThat(r.outcome()).isEqualTo(ApplyResult.Kind.APPLIED);
    assertThat(r.txnCount()).isEqualTo(2);

    // The context Ratis really hands back, with the proposal's own bytes, applies the same way.
    started.initLogEntry(1, 2);
    assertThat(receipt(leader.sm.applyTransaction(started).get()).sequenced()).isTrue();
    assertThat(leader.registry.get("sequencer.propose.commit").timer().count())
        .as("the leader timed both from its accepted proposals")
        .isEqualTo(2);

    // A follower has no context and decodes the bytes of the entry.
    Replica follower = open("follower", ApplyListener.NONE, RaftStorage.StartupOption.FORMAT);
    assertThat(follower.applyAsFollower(1, 1, garbage).outcome())
        .isEqualTo(ApplyResult.Kind.DECODE_ERROR);
    assertThat(follower.applyAsFollower(1, 2, proposal).txnCount()).isEqualTo(2);
  }

  @Test
  void anEntryProposedWithItsObjectIsValidatedAndAppliedFromIt() throws Exception {
    Replica leader = open("leader", ApplyListener.NONE, RaftStorage.StartupOption.FORMAT);
    EncodedEntry ok =
        EncodedEntry.of(EpochBatch.auto(System.currentTimeMillis(), List.of(txn(1), txn(2))));
    TransactionContext started = leader.sm.startTransaction(request(ok));
    assertThat(started.getException()).isNull();
    started.initLogEntry(1, 1);
    BatchReceipt r = receipt(leader.sm.applyTransaction(started).get());
    assertThat(r.outcome()).isEqualTo(ApplyResult.Kind.APPLIED);
    assertThat(r.txnCount()).isEqualTo(2);

    // The carried entry is validated like decoded bytes: an epoch too far ahead is refused.
    long tooFar = 2 + ProposalLimits.DEFAULT_MAX_EPOCH_GAP + 10;
    TransactionContext refused =
        leader.sm.startTransaction(
            request(EncodedEntry.of(new EpochBatch(tooFar, 1001, List.of(txn(3))))));
    assertThat(refused.getException()).hasMessageContaining(Long.toString(tooFar));

    // A follower decodes the same bytes to the same result.
    Replica follower = open("follower", ApplyListener.NONE, RaftStorage.StartupOption.FORMAT);
    assertThat(follower.applyAsFollower(1, 1, ok.getContent().toByteArray()).txnCount())
        .isEqualTo(2);
    assertThat(follower.state()).isEqualTo(leader.state());
  }

  /** Grouped batches are the leader's own format: a client that proposes one is refused. */
  @Test
  void aGroupedBatchFromAClientIsRefusedAtTheLeader() throws Exception {
    Replica leader = open("leader", ApplyListener.NONE, RaftStorage.StartupOption.FORMAT);
    byte[] grouped =
        EntryEncoder.encodeGrouped(
            EpochBatch.auto(System.currentTimeMillis(), List.of(txn(1), txn(2))));
    TransactionContext refused = leader.sm.startTransaction(request(grouped));
    assertThat(refused.getException())
        .hasMessageContaining("malformed entry")
        .hasMessageContaining("format version 2");
  }

  @Test
  void aSnapshotWriteThatFailsLeavesThePreviousSnapshotLoadable() throws Exception {
    Replica r = open("r", ApplyListener.NONE, RaftStorage.StartupOption.FORMAT);
    applyBatches(r, 1, 3);
    assertThat(r.sm.takeSnapshot()).isEqualTo(3);
    byte[] atThree = r.state();
    applyBatches(r, 4, 5);

    // The disk refuses the write of the next snapshot's file (here: a directory is in its way).
    Path smDir = r.storage.getStorageDir().getStateMachineDir().toPath();
    Path blocked = smDir.resolve("snapshot.1_5.tmp");
    Files.createDirectory(blocked);
    assertThatThrownBy(r.sm::takeSnapshot).isInstanceOf(IOException.class);
    assertThat(r.sm.getLatestSnapshot().getIndex()).isEqualTo(3);
    assertThat(blocked).as("the failed write's temp file is removed").doesNotExist();
    assertThat(smDir.resolve("snapshot.1_5")).doesNotExist();

    // A crash half-way through a later write leaves a partial temp file behind.
    Files.write(smDir.resolve("snapshot.1_6.tmp"), new byte[] {1, 2, 3});
    r.close();
    opened.remove(r);

    Replica restarted = open("r", ApplyListener.NONE, RaftStorage.StartupOption.RECOVER);
    assertThat(restarted.sm.getLastAppliedTermIndex()).isEqualTo(TermIndex.valueOf(1, 3));
    assertThat(restarted.state()).isEqualTo(atThree);
    assertThat(restarted.core.lastAppliedEpoch()).isEqualTo(2);
  }

  @Test
  void reinitializeAfterAnInstalledSnapshotRestoresTheLeadersState() throws Exception {
    Replica leader = open("leader", ApplyListener.NONE, RaftStorage.StartupOption.FORMAT);
    applyBatches(leader, 1, 5);
    assertThat(leader.sm.takeSnapshot()).isEqualTo(5);

    Replica behind = open("behind", ApplyListener.NONE, RaftStorage.StartupOption.FORMAT);
    applyBatches(behind, 1, 2);
    behind.sm.pause();
    assertThat(behind.sm.getLifeCycleState()).isEqualTo(LifeCycle.State.PAUSED);
    // What Ratis's snapshot installation does: the leader's files land in the state machine dir.
    Path from = leader.storage.getStorageDir().getStateMachineDir().toPath();
    Path to = behind.storage.getStorageDir().getStateMachineDir().toPath();
    for (String name : List.of("snapshot.1_5", "snapshot.1_5.md5")) {
      Files.copy(from.resolve(name), to.resolve(name));
    }
    behind.sm.reinitialize();

    assertThat(behind.sm.getLifeCycleState()).isEqualTo(LifeCycle.State.RUNNING);
    assertThat(behind.sm.getLastAppliedTermIndex()).isEqualTo(TermIndex.valueOf(1, 5));
    assertThat(behind.state()).isEqualTo(leader.state());
    assertThat(behind.counter("sequencer.snapshots.installed")).isEqualTo(1);
    // Both go on alike from there.
    byte[] next = encode(EpochBatch.auto(2000, List.of(txn(99))));
    assertThat(behind.applyAsFollower(2, 6, next)).isEqualTo(leader.applyAsFollower(2, 6, next));
    assertThat(behind.state()).isEqualTo(leader.state());
  }

  // ---- fixture ----

  private Replica open(String name, ApplyListener listener, RaftStorage.StartupOption option)
      throws IOException {
    Replica r = new Replica(dir.resolve(name), listener, option);
    opened.add(r);
    return r;
  }

  private static void applyBatches(Replica r, long fromIndex, long toIndex) {
    for (long i = fromIndex; i <= toIndex; i++) {
      BatchReceipt receipt =
          r.applyAsFollower(1, i, encode(EpochBatch.auto(1000 + i, List.of(txn(i)))));
      assertThat(receipt.sequenced()).isTrue();
    }
  }

  private static Txn txn(long seq) {
    return new Txn(
        new ClientTxnId(7, seq),
        1,
        List.of(Key.of("c" + seq % 3, "r" + seq)),
        List.of(Key.of("c" + seq % 5, "w" + seq)),
        ("p" + seq).getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] encode(EpochBatch b) {
    return EntryEncoder.encode(b);
  }

  private static LogEntryProto entry(long term, long index, byte[] data) {
    return LogEntryProto.newBuilder()
        .setTerm(term)
        .setIndex(index)
        .setStateMachineLogEntry(
            StateMachineLogEntryProto.newBuilder().setLogData(ByteString.copyFrom(data)))
        .build();
  }

  private static RaftClientRequest request(byte[] data) {
    return request(Message.valueOf(ByteString.copyFrom(data)));
  }

  private static RaftClientRequest request(Message message) {
    return RaftClientRequest.newBuilder()
        .setClientId(ClientId.randomId())
        .setServerId(RaftPeerId.valueOf("n1"))
        .setGroupId(GROUP)
        .setCallId(1)
        .setMessage(message)
        .setType(RaftClientRequest.writeRequestType())
        .build();
  }

  private static BatchReceipt receipt(Message m) throws Exception {
    return Protocol.decodeReceipt(m.getContent().asReadOnlyByteBuffer());
  }

  /** A Raft server that only says its id: all the adapter asks of it outside a running cluster. */
  private static RaftServer server(String id) {
    RaftPeerId peerId = RaftPeerId.valueOf(id);
    return (RaftServer)
        Proxy.newProxyInstance(
            RaftServer.class.getClassLoader(),
            new Class<?>[] {RaftServer.class},
            (proxy, method, args) ->
                switch (method.getName()) {
                  case "getId" -> peerId;
                  case "toString" -> "server " + id;
                  case "hashCode" -> System.identityHashCode(proxy);
                  case "equals" -> proxy == args[0];
                  default -> throw new UnsupportedOperationException(method.getName());
                });
  }

  /** One replica's adapter over its own core, metrics and storage directory. */
  private static final class Replica implements AutoCloseable {
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final ServerMetrics metrics;
    final EpochStateMachine core;
    final SequencerStateMachine sm;
    final RaftStorage storage;

    Replica(Path dir, ApplyListener listener, RaftStorage.StartupOption option) throws IOException {
      Files.createDirectories(dir);
      metrics = new ServerMetrics(registry, dir.getFileName().toString());
      core =
          EpochStateMachine.builder()
              .router(new CollectionHashRouter(VSHARDS))
              .metrics(metrics.core())
              .listener(listener)
              .notifier(Runnable::run)
              .build();
      sm = new SequencerStateMachine(core, ProposalLimits.DEFAULTS, metrics, Runnable::run);
      storage =
          RaftStorage.newBuilder()
              .setDirectory(dir.toFile())
              .setOption(option)
              .setLogCorruptionPolicy(RaftServerConfigKeys.Log.CorruptionPolicy.getDefault())
              .setStorageFreeSpaceMin(RaftServerConfigKeys.STORAGE_FREE_SPACE_MIN_DEFAULT)
              .build();
      storage.initialize();
      sm.initialize(server(dir.getFileName().toString()), GROUP, storage);
    }

    BatchReceipt applyAsFollower(long term, long index, byte[] data) {
      TransactionContext trx =
          TransactionContext.newBuilder()
              .setStateMachine(sm)
              .setServerRole(RaftPeerRole.FOLLOWER)
              .setLogEntry(entry(term, index, data))
              .build();
      try {
        return receipt(sm.applyTransaction(trx).get());
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }

    byte[] state() {
      return StateCodec.encode(core.snapshot());
    }

    double counter(String name) {
      return registry.get(name).counter().count();
    }

    @Override
    public void close() throws IOException {
      sm.close();
      storage.close();
      metrics.close();
    }
  }
}
