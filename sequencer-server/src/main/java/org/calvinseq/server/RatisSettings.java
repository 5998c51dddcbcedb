package org.calvinseq.server;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachine;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.calvinseq.client.Peers;
import org.calvinseq.client.TlsFiles;
import org.calvinseq.server.ratis.SequencerRpcType;
import org.calvinseq.server.ratis.SubmissionService;

/**
 * Translates a {@link NodeConfig} into Ratis properties, keeping Ratis's size limits in step, and
 * builds a node's Raft server from them.
 */
public final class RatisSettings {
  private RatisSettings() {}

  /**
   * The Raft server of a node with configuration {@code c}, not yet started; it recovers from the
   * data directory when it starts. With {@code join} and no Raft storage yet (the first start of a
   * new member) it starts outside the group's configuration and waits for a member to add it.
   */
  static RaftServer newServer(
      NodeConfig c,
      TlsFiles tls,
      boolean join,
      StateMachine stateMachine,
      SubmissionService submissions)
      throws IOException {
    RaftServer.Builder raft = RaftServer.newBuilder();
    Parameters parameters = tls != null ? tls.ratisParameters() : new Parameters();
    // The submission stream, on the port (and with the TLS) of Ratis's client service.
    GrpcConfigKeys.Server.setServicesCustomizer(parameters, submissions);
    raft.setParameters(parameters);
    RaftGroupId groupId = Peers.groupId(c.clusterName());
    boolean hasStorage = Files.isDirectory(c.dataDir().resolve(groupId.getUuid().toString()));
    return raft.setServerId(RaftPeerId.valueOf(c.nodeId()))
        .setGroup(
            join && !hasStorage
                ? RaftGroup.valueOf(groupId)
                : Peers.group(c.clusterName(), c.peers()))
        .setProperties(of(c))
        .setStateMachine(stateMachine)
        .setOption(RaftStorage.StartupOption.RECOVER)
        .build();
  }

  /** The Ratis properties of a node with configuration {@code c}. */
  public static RaftProperties of(NodeConfig c) {
    RaftProperties p = new RaftProperties();
    // gRPC, whose leaders' failed log appenders pause before Ratis replaces them.
    RaftConfigKeys.Rpc.setType(p, new SequencerRpcType());
    RaftServerConfigKeys.setStorageDir(p, List.of(c.dataDir().toFile()));
    String address = c.self().getAddress();
    // The port the peers dial, unless something (a proxy in tests) sits in front of it.
    int bind = c.raftBindPort() >= 0 ? c.raftBindPort() : address == null ? 0 : port(address);
    GrpcConfigKeys.Server.setPort(p, bind);
    if (address != null) {
      // Listen where the peers were told to connect, not on every interface.
      GrpcConfigKeys.Server.setHost(p, address.substring(0, address.lastIndexOf(':')));
    }

    // Elections in etcd's spirit: Ratis's default 150-300 ms changed leaders under GC or CPU
    // stalls of 0.3-0.7 s on small busy machines.
    RaftServerConfigKeys.Rpc.setTimeoutMin(p, ms(c.electionTimeoutMin().toMillis()));
    RaftServerConfigKeys.Rpc.setTimeoutMax(p, ms(c.electionTimeoutMax().toMillis()));
    RaftServerConfigKeys.Rpc.setRequestTimeout(
        p, ms(Math.max(3000, c.electionTimeoutMax().toMillis() * 2)));

    // Entry sizes: every buffer an entry passes through must hold the largest valid batch.
    int batch = c.limits().maxBatchBytes();
    long appender = Math.max(4L << 20, batch + (1L << 20));
    SizeInBytes message = SizeInBytes.valueOf(appender + (2L << 20));
    GrpcConfigKeys.setMessageSizeMax(p, message);
    // Ratis requires the gRPC message limit to exceed the appender buffer by at least 1 MiB.
    RaftServerConfigKeys.Log.Appender.setBufferByteLimit(p, SizeInBytes.valueOf(appender));
    // ...and the log write buffer to exceed the appender buffer.
    RaftServerConfigKeys.Log.setWriteBufferSize(p, SizeInBytes.valueOf(appender + (1 << 20)));
    RaftServerConfigKeys.Log.setSegmentSizeMax(
        p, SizeInBytes.valueOf(Math.max(c.logSegmentBytes(), 2L * batch + 4096)));

    // Snapshots every N entries; the log is purged up to the snapshot (so a follower that is far
    // behind installs the snapshot) minus the replay retention.
    RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
    RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, c.snapshotEvery());
    RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, 2);
    RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
    RaftServerConfigKeys.Log.setPurgePreservationLogNum(p, c.replayRetention());
    RaftServerConfigKeys.Log.setPurgeGap(p, (int) Math.max(1, Math.min(1024, c.snapshotEvery())));
    RaftServerConfigKeys.Log.Appender.setInstallSnapshotEnabled(p, true);
    return p;
  }

  private static int port(String address) {
    return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
  }

  private static TimeDuration ms(long millis) {
    return TimeDuration.valueOf(millis, TimeUnit.MILLISECONDS);
  }
}
