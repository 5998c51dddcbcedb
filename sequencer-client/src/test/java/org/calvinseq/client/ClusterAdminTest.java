package org.calvinseq.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.ratis.proto.RaftProtos.RaftConfigurationProto;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.util.ProtoUtils;
import org.junit.jupiter.api.Test;

class ClusterAdminTest {
  private static final RaftGroup GROUP = RaftGroup.valueOf(Peers.groupId("admin-test"));
  private static final RaftPeerId N1 = RaftPeerId.valueOf("n1");
  private static final List<RaftPeer> OLD = Peers.parse("n1@h1:7001,n2@h2:7001,n3@h3:7001");
  private static final List<RaftPeer> NEW = Peers.parse("n1@h1:7001,n2@h2:7001,n4@h4:7001");

  @Test
  void theMembersAreTheConfigurationInTheGroupInfo() {
    // The group's peers (both halves) are not what a stable configuration holds.
    GroupInfoReply info = reply(peers(OLD, NEW), conf(NEW, List.of()));
    ClusterAdmin.Membership m = ClusterAdmin.membership(info, N1);
    assertThat(m.members()).containsExactlyElementsOf(NEW);
    assertThat(m.stable()).isTrue();
    assertThat(m.old()).isEmpty();
    assertThat(m.leader()).isEqualTo(N1);
  }

  @Test
  void aChangeUnderWayReadsAsUnstableWithBothHalves() {
    GroupInfoReply info = reply(peers(OLD, NEW), conf(NEW, OLD));
    ClusterAdmin.Membership m = ClusterAdmin.membership(info, N1);
    assertThat(m.stable()).isFalse();
    assertThat(m.members()).containsExactlyElementsOf(NEW);
    assertThat(m.old()).containsExactlyElementsOf(OLD);
    assertThat(m.peersString()).isEqualTo("n1@h1:7001,n2@h2:7001,n4@h4:7001");
  }

  @Test
  void aMemberThatSendsNoConfigurationIsReadThroughItsGroup() {
    GroupInfoReply info = reply(OLD, null);
    ClusterAdmin.Membership m = ClusterAdmin.membership(info, N1);
    assertThat(m.members()).containsExactlyInAnyOrderElementsOf(OLD);
    assertThat(m.stable()).isTrue();
  }

  private static List<RaftPeer> peers(List<RaftPeer> a, List<RaftPeer> b) {
    return java.util.stream.Stream.concat(a.stream(), b.stream()).distinct().toList();
  }

  private static RaftConfigurationProto conf(List<RaftPeer> members, List<RaftPeer> old) {
    return RaftConfigurationProto.newBuilder()
        .addAllPeers(ProtoUtils.toRaftPeerProtos(members))
        .addAllOldPeers(ProtoUtils.toRaftPeerProtos(old))
        .build();
  }

  private static GroupInfoReply reply(List<RaftPeer> groupPeers, RaftConfigurationProto conf) {
    return new GroupInfoReply(
        ClientId.randomId(),
        N1,
        GROUP.getGroupId(),
        1,
        List.of(),
        RaftGroup.valueOf(GROUP.getGroupId(), groupPeers),
        RoleInfoProto.getDefaultInstance(),
        true,
        conf,
        null);
  }
}
