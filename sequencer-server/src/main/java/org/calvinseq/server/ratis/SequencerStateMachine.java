package org.calvinseq.server.ratis;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;
import org.calvinseq.core.apply.ApplyResult;
import org.calvinseq.core.apply.EpochStateMachine;
import org.calvinseq.core.apply.StateCodec;
import org.calvinseq.core.codec.CodecException;
import org.calvinseq.core.codec.EntryDecoder;
import org.calvinseq.core.codec.ProposalLimits;
import org.calvinseq.core.model.ClusterInit;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.SequencerEntry;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.core.protocol.NodeStatus;
import org.calvinseq.core.protocol.Protocol;
import org.calvinseq.core.replay.LogSource;
import org.calvinseq.core.replay.ReplayPager;
import org.calvinseq.core.replay.Replayer;
import org.calvinseq.server.events.NodeEventListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Ratis adapter: validates proposals on the leader, hands committed entries to the core's
 * {@link EpochStateMachine}, snapshots its state, and serves read-only queries (status, replay
 * pages, completion state). It decodes, delegates and encodes; the semantics live in the core.
 */
public final class SequencerStateMachine extends BaseStateMachine {
  private static final Logger LOG = LoggerFactory.getLogger(SequencerStateMachine.class);

  private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
  private final EpochStateMachine core;
  private final ProposalLimits limits;
  private final ServerMetrics metrics;
  private final Executor queryExecutor;
  private final NodeEventListener events;
  private final ThreadLocal<EntryDecoder> leaderDecoders =
      ThreadLocal.withInitial(EntryDecoder::new);
  private final Replayer replayer;
  private final ReplayPager pager;
  private volatile RaftLog raftLog;
  private volatile LogFailureListener logFailures = (cause, index) -> {};
  private volatile Consumer<String> clusterMismatches = reason -> {};
  private volatile Runnable clusterInitNeeded = () -> {};
  private volatile SubmissionRoute submissions = SubmissionRoute.NONE;
  private volatile boolean clusterInitApplied;
  private volatile String clusterMismatch; // set once: this replica stops applying
  private long appliedSinceTrim;
  private boolean initialized;

  public SequencerStateMachine(
      EpochStateMachine core,
      ProposalLimits limits,
      ServerMetrics metrics,
      Executor queryExecutor) {
    this(core, limits, metrics, queryExecutor, NodeEventListener.NONE);
  }

  /** Reports leader changes and snapshots to {@code events} (e.g. the event log). */
  public SequencerStateMachine(
      EpochStateMachine core,
      ProposalLimits limits,
      ServerMetrics metrics,
      Executor queryExecutor,
      NodeEventListener events) {
    this.core = core;
    this.limits = limits;
    this.metrics = metrics;
    this.queryExecutor = queryExecutor;
    this.events = events;
    this.replayer = core.replayer(new RaftLogSource());
    this.pager = new ReplayPager(replayer);
  }

  public EpochStateMachine core() {
    return core;
  }

  public Replayer replayer() {
    return replayer;
  }

  /** Hears a failed write of the Raft log; called on Ratis's log worker thread. */
  @FunctionalInterface
  public interface LogFailureListener {
    /**
     * The Raft log failed to write; {@code index} is the failed entry's index, or -1 when no single
     * entry failed (closing a segment). Ratis fails every later write of this log too, so this is
     * called again and again; it must return at once and must not close the server.
     */
    void logFailed(Throwable cause, long index);
  }

  /** Sets who hears about failed log writes (default: nobody). */
  public void onLogFailed(LogFailureListener listener) {
    this.logFailures = java.util.Objects.requireNonNull(listener, "listener");
  }

  /**
   * Sets who hears that a cluster-init entry records settings other than this node's (called once,
   * on the apply thread; it must return at once). From then on this replica applies nothing more:
   * its routing disagrees with the cluster's.
   */
  public void onClusterMismatch(Consumer<String> listener) {
    this.clusterMismatches = java.util.Objects.requireNonNull(listener, "listener");
  }

  /**
   * Sets what runs when this node becomes a ready leader without having applied a cluster-init
   * entry since it started: the node proposes one. Called on a Ratis thread; must not block.
   */
  public void onClusterInitNeeded(Runnable action) {
    this.clusterInitNeeded = java.util.Objects.requireNonNull(action, "action");
  }

  /** Sets where submissions go and who hears of leadership (default: refused, nobody). */
  public void onSubmission(SubmissionRoute route) {
    this.submissions = java.util.Objects.requireNonNull(route, "route");
  }

  /** Why this replica stopped applying (a cluster-init entry it disagrees with), or null. */
  public String clusterMismatch() {
    return clusterMismatch;
  }

  @Override
  public void notifyLeaderReady() {
    if (!clusterInitApplied && clusterMismatch == null) {
      // Before the inbox opens: the action must put the cluster-init entry in the log before it
      // returns, so that it precedes the inbox's first epoch (exactly-once starts at that entry).
      clusterInitNeeded.run();
    }
    submissions.leaderReady();
  }

  @Override
  public void notifyLogFailed(Throwable cause, LogEntryProto failedEntry) {
    logFailures.logFailed(cause, failedEntry == null ? -1 : failedEntry.getIndex());
  }

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage)
      throws IOException {
    getLifeCycle()
        .startAndTransition(
            () -> {
              super.initialize(server, groupId, raftStorage);
              storage.init(raftStorage);
              load();
            });
    initialized = true;
  }

  /** Ratis pauses the state machine before it installs a snapshot from the leader. */
  @Override
  public synchronized void pause() {
    if (getLifeCycleState() == LifeCycle.State.RUNNING) {
      getLifeCycle().transition(LifeCycle.State.PAUSING);
      getLifeCycle().transition(LifeCycle.State.PAUSED);
    }
  }

  /** Loads the snapshot Ratis installed from the leader, then resumes. */
  @Override
  public synchronized void reinitialize() throws IOException {
    load();
    if (getLifeCycleState() == LifeCycle.State.PAUSED) {
      getLifeCycle().transition(LifeCycle.State.STARTING);
      getLifeCycle().transition(LifeCycle.State.RUNNING);
    }
  }

  private void load() throws IOException {
    SingleFileSnapshotInfo snapshot = storage.loadLatestSnapshot();
    if (snapshot == null) {
      return;
    }
    Path path = snapshot.getFile().getPath();
    if (snapshot.getFile().getFileDigest() != null) {
      MD5FileUtil.verifySavedMD5(path.toFile(), snapshot.getFile().getFileDigest());
    }
    try {
      core.restore(StateCodec.decode(Files.readAllBytes(path)));
    } catch (CodecException e) {
      throw new IOException("cannot read snapshot " + path + ": " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new IOException(e.getMessage(), e);
    }
    setLastAppliedTermIndex(snapshot.getTermIndex());
    trimReplayIndex();
    if (initialized) {
      metrics
          .snapshotInstalled(); // reinitialize after start-up means a snapshot came from the leader
      events.onSnapshotInstalled(snapshot.getIndex(), snapshot.getTerm(), core.lastAppliedEpoch());
    }
    LOG.info("{}: restored {} from {}", getId(), snapshot.getTermIndex(), path.getFileName());
  }

  @Override
  public SimpleStateMachineStorage getStateMachineStorage() {
    return storage;
  }

  // ---- leader: validate before the log ----

  @Override
  public TransactionContext startTransaction(RaftClientRequest request) throws IOException {
    TransactionContext trx = super.startTransaction(request);
    ByteString content = request.getMessage().getContent();
    int size = content.size();
    SequencerEntry entry = null;
    String problem;
    if (size > limits.maxBatchBytes()) {
      problem = "entry is " + size + " bytes, over the limit of " + limits.maxBatchBytes();
    } else {
      try {
        // The inbox's epochs come with their entry (EncodedEntry): not decoded a second time.
        entry =
            request.getMessage() instanceof EncodedEntry e
                ? e.entry()
                : leaderDecoders.get().decode(Bytes.view(content));
        if (entry instanceof EpochBatch b) {
          problem = limits.violation(b, size, core.nextEpoch(), System.currentTimeMillis());
        } else if (entry instanceof ClusterInit init && core.clusterInitMismatch(init) != null) {
          problem =
              "cluster-init entry disagrees with the leader: " + core.clusterInitMismatch(init);
        } else {
          problem = null;
        }
      } catch (CodecException e) {
        problem = "malformed entry: " + e.getMessage();
      }
    }
    if (problem != null) {
      metrics.proposalRejected();
      LOG.debug("{}: rejected proposal from {}: {}", getId(), request.getClientId(), problem);
      trx.setException(new IllegalArgumentException("proposal rejected: " + problem));
    } else {
      metrics.proposalAccepted();
      trx.setStateMachineContext(new Proposal(System.nanoTime(), entry));
    }
    return trx;
  }

  private void clusterInitApplied(long index, String mismatch) {
    if (mismatch == null) {
      clusterInitApplied = true;
      LOG.debug("{}: cluster-init entry at index {} agrees with this node", getId(), index);
      return;
    }
    clusterMismatch = "cluster-init entry at index " + index + ": " + mismatch;
    clusterMismatches.accept(clusterMismatch);
  }

  /** What the leader learned while validating a proposal: kept so that it decodes it once. */
  private record Proposal(long startNanos, SequencerEntry entry) {}

  // ---- every replica: apply ----

  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    LogEntryProto entry = trx.getLogEntry();
    long index = entry.getIndex();
    if (clusterMismatch != null) {
      // This replica's settings disagree with the cluster's: deliver nothing more (the node is
      // closing its Raft server). A proposer's receipt comes from the leader's own apply.
      return receipt(new ApplyResult.ClusterInitApplied(index, clusterMismatch));
    }
    ApplyResult result;
    long start = System.nanoTime();
    Proposal proposal =
        trx.getServerRole() == RaftPeerRole.LEADER
                && trx.getStateMachineContext() instanceof Proposal p
            ? p
            : null;
    try {
      if (proposal != null) {
        result = core.apply(index, proposal.entry());
      } else {
        ByteBuffer data = Bytes.view(entry.getStateMachineLogEntry().getLogData());
        result = core.apply(index, data);
      }
    } catch (RuntimeException e) {
      // The core never throws on data; this is a bug. Keep the replica alive and consistent.
      LOG.error("{}: apply of index {} failed", getId(), index, e);
      core.skipIndex(index);
      metrics.applyFailed();
      result = new ApplyResult.DecodeError(index, e.toString());
    }
    if (result instanceof ApplyResult.ClusterInitApplied init) {
      clusterInitApplied(index, init.mismatch());
    }
    long end = System.nanoTime();
    metrics.applied(end - start);
    if (proposal != null) {
      metrics.committed(end - proposal.startNanos());
      metrics.proposalDone(1);
    }
    updateLastAppliedTermIndex(entry.getTerm(), index);
    if (++appliedSinceTrim >= 1024) {
      appliedSinceTrim = 0;
      trimReplayIndex();
    }
    return receipt(result);
  }

  private static CompletableFuture<Message> receipt(ApplyResult result) {
    return CompletableFuture.completedFuture(
        Message.valueOf(
            UnsafeByteOperations.unsafeWrap(Protocol.encodeReceipt(BatchReceipt.of(result)))));
  }

  @Override
  public void notifyTermIndexUpdated(long term, long index) {
    super.notifyTermIndexUpdated(term, index);
    core.skipIndex(index);
  }

  @Override
  public void notifyNotLeader(java.util.Collection<TransactionContext> pendingEntries) {
    submissions.leaderChanged(null, false);
    metrics.proposalDone(pendingEntries.size());
  }

  @Override
  public void notifyLeaderChanged(RaftGroupMemberId memberId, RaftPeerId newLeaderId) {
    metrics.leaderChanged();
    submissions.leaderChanged(
        newLeaderId == null ? null : newLeaderId.toString(),
        newLeaderId != null && newLeaderId.equals(memberId.getPeerId()));
    LOG.info("{}: leader is now {}", memberId, newLeaderId);
    events.onLeaderChange(
        newLeaderId == null ? "" : newLeaderId.toString(),
        status().term(),
        core.lastAppliedEpoch(),
        core.lastAppliedIndex());
  }

  /** Drops replay-index records whose log entries Ratis has purged. Apply thread. */
  private void trimReplayIndex() {
    RaftLog log = log();
    if (log != null) {
      core.epochIndex().dropBelowLogIndex(log.getStartIndex());
    }
  }

  // ---- snapshots ----

  @Override
  public long takeSnapshot() throws IOException {
    TermIndex last = getLastAppliedTermIndex();
    if (last == null || last.getIndex() < 0 || clusterMismatch != null) {
      return RaftLog.INVALID_LOG_INDEX;
    }
    long start = System.nanoTime(); // for the log line only: the state does not depend on it
    trimReplayIndex();
    byte[] state = StateCodec.encode(core.snapshot());
    File file = storage.getSnapshotFile(last.getTerm(), last.getIndex());
    writeAtomically(file.toPath(), state);
    var md5 = MD5FileUtil.computeAndSaveMd5ForFile(file);
    storage.updateLatestSnapshot(
        new SingleFileSnapshotInfo(new FileInfo(file.toPath(), md5), last));
    metrics.snapshotTaken();
    LOG.info(
        "{}: snapshot at {} ({} bytes, {} ms on the apply thread)",
        getId(),
        last,
        state.length,
        (System.nanoTime() - start) / 1_000_000);
    events.onSnapshotTaken(last.getIndex(), last.getTerm(), core.lastAppliedEpoch(), state.length);
    return last.getIndex();
  }

  /**
   * Writes {@code bytes} to a temp file beside {@code file}, forces it to disk, renames it over
   * {@code file} and forces the directory: a crash at any point leaves either no {@code file} (the
   * previous snapshot stays the latest; a leftover temp file does not match Ratis's snapshot name
   * pattern and is never loaded) or the whole of it, and a snapshot Ratis was told of (and purged
   * the log behind) survives a power loss. A failed write deletes its temp file.
   */
  static void writeAtomically(Path file, byte[] bytes) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      try (FileChannel ch =
          FileChannel.open(
              tmp,
              StandardOpenOption.CREATE,
              StandardOpenOption.TRUNCATE_EXISTING,
              StandardOpenOption.WRITE)) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
          ch.write(b);
        }
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
      dir.force(true);
    }
  }

  // ---- queries ----

  @Override
  public CompletableFuture<Message> query(Message request) {
    Protocol.Query q;
    try {
      q = Protocol.decodeQuery(request.getContent().asReadOnlyByteBuffer());
    } catch (CodecException e) {
      // A StateMachineException is the one failure Ratis answers with an exception reply; any
      // other reaches the client as a broken call, which it retries on every peer until its retry
      // policy gives up, counting the peers as failing.
      return CompletableFuture.failedFuture(
          new StateMachineException("bad query: " + e.getMessage()));
    }
    if (q instanceof Protocol.StatusQ) {
      return CompletableFuture.completedFuture(bytes(Protocol.encodeStatus(status())));
    }
    if (q instanceof Protocol.SubmitQ sub) {
      // Only on the ready leader: Ratis answers not-leader elsewhere (default read option).
      return submissions
          .submit(sub.batchEntry())
          .thenApply(r -> bytes(Protocol.encodeSubmitReply(r)));
    }
    if (q instanceof Protocol.CompletionQ c) {
      return CompletableFuture.completedFuture(
          bytes(Protocol.encodeCompletion(core.completions().query(c.txnId()))));
    }
    Protocol.ReplayQuery rq = ((Protocol.ReplayQ) q).query();
    return CompletableFuture.supplyAsync(() -> bytes(Protocol.encodePage(page(rq))), queryExecutor);
  }

  /** One page of a replay: at most {@code maxTxns} txns after the cursor ({@link ReplayPager}). */
  public Protocol.ReplayPage page(Protocol.ReplayQuery q) {
    long start = System.nanoTime();
    ReplayPager.Page p =
        pager.page(
            q.vshard(), q.fromEpoch(), q.toEpoch(), q.afterEpoch(), q.afterPosition(), q.maxTxns());
    metrics.replayed(p.txns().size(), System.nanoTime() - start);
    return Protocol.ReplayPage.of(p);
  }

  public NodeStatus status() {
    String role = "UNKNOWN";
    String leader = "";
    long term = 0;
    long commit = -1;
    try {
      var division = getServer().getNow(null).getDivision(getGroupId());
      var info = division.getInfo();
      role = info.getCurrentRole().name();
      term = info.getCurrentTerm();
      RaftPeerId leaderId = info.getLeaderId();
      leader = leaderId == null ? "" : leaderId.toString();
      commit = division.getRaftLog().getLastCommittedIndex();
    } catch (IOException | RuntimeException e) {
      LOG.debug("status while the server is not running: {}", e.toString());
    }
    return new NodeStatus(
        String.valueOf(getId()),
        role,
        leader,
        term,
        core.lastAppliedEpoch(),
        core.lastAppliedIndex(),
        commit,
        replayer.firstReplayableEpoch(),
        core.router().vshardCount());
  }

  /**
   * The highest commit index this node knows of in its group, normally the leader's: a follower
   * learns it from the commit infos the leader sends with every append-entries request, even while
   * its own log is far behind (its own commit index never passes what it has). -1 when the Raft
   * server is not running.
   */
  public long leaderCommitIndex() {
    try {
      var division = getServer().getNow(null).getDivision(getGroupId());
      long max = -1;
      for (var info : division.getCommitInfos()) {
        max = Math.max(max, info.getCommitIndex());
      }
      return max;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private static Message bytes(byte[] b) {
    return Message.valueOf(UnsafeByteOperations.unsafeWrap(b));
  }

  private RaftLog log() {
    RaftLog l = raftLog;
    if (l == null) {
      try {
        RaftServer server = getServer().getNow(null);
        if (server != null) {
          l = server.getDivision(getGroupId()).getRaftLog();
          raftLog = l;
        }
      } catch (IOException | RuntimeException e) {
        return null;
      }
    }
    return l;
  }

  /** Committed entries as the core's replay reads them. */
  private final class RaftLogSource implements LogSource {
    @Override
    public ByteBuffer read(long index) {
      RaftLog l = log();
      if (l == null) {
        return null;
      }
      try {
        LogEntryProto e = l.get(index);
        if (e == null || !e.hasStateMachineLogEntry()) {
          return null;
        }
        return Bytes.view(e.getStateMachineLogEntry().getLogData());
      } catch (IOException | RuntimeException e) {
        LOG.debug("log read of {} failed: {}", index, e.toString());
        return null;
      }
    }

    @Override
    public long firstIndex() {
      RaftLog l = log();
      return l == null ? 0 : Math.max(0, l.getStartIndex());
    }
  }
}
