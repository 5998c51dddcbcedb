package org.calvinseq.server.ratis;

import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcFactory;
import org.apache.ratis.rpc.RpcFactory;
import org.apache.ratis.rpc.RpcType;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.leader.FollowerInfo;
import org.apache.ratis.server.leader.LeaderState;
import org.apache.ratis.server.leader.LogAppender;

/**
 * Ratis's gRPC transport, unchanged on the wire, whose leaders use {@link RecoveringLogAppender}.
 * Set on a node's properties with {@code RaftConfigKeys.Rpc.setType(p, new SequencerRpcType())};
 * Ratis finds it again by its class name, so it needs its public no-argument constructor.
 */
public final class SequencerRpcType implements RpcType {
  public SequencerRpcType() {}

  @Override
  public String name() {
    return SequencerRpcType.class.getName();
  }

  @Override
  public RpcFactory newFactory(Parameters parameters) {
    return new Factory(parameters);
  }

  /** {@link GrpcFactory} with the recovering appender. */
  static final class Factory extends GrpcFactory {
    Factory(Parameters parameters) {
      super(parameters);
    }

    @Override
    public LogAppender newLogAppender(
        RaftServer.Division server, LeaderState state, FollowerInfo f) {
      return new RecoveringLogAppender(server, state, f);
    }
  }
}
