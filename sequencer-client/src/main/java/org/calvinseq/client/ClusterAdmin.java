package org.calvinseq.client;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.proto.RaftProtos.RaftConfigurationProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.util.ProtoUtils;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Membership and maintenance operations on a running cluster, through Ratis's admin API: add,
 * remove and replace a member, move leadership, take a snapshot. The {@code sequencer admin}
 * commands are thin wrappers around it; engines and tests call it directly.
 *
 * <pre>{@code
 * try (ClusterAdmin admin =
 *     ClusterAdmin.create(SequencerClient.builder().peers("n1@h1:7001,n2@h2:7001,n3@h3:7001"))) {
 *   admin.addNode(Peers.parse("n4@h4:7001").get(0));   // n4 runs, started with join(true)
 *   admin.removeNode(RaftPeerId.valueOf("n1"));
 * }
 * }</pre>
 *
 * <p>Every membership change reads the current configuration from the leader and asks the leader to
 * move to the new one only if the configuration is still the one read (Ratis's compare-and-set),
 * retrying until the configuration is the wanted one or the call timeout passes. So a change is
 * idempotent: repeating it after a timeout is safe. The leader first brings new members up to date
 * (log replay or snapshot installation) and then commits the new configuration; a call returns once
 * it is committed. One member is added or removed at a time.
 *
 * <p>The peers given to the builder need not be the current membership: any reachable member leads
 * the way to the leader and its configuration.
 */
public final class ClusterAdmin implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterAdmin.class);
  private static final long RETRY_SLEEP_MS = 250;

  /**
   * The group's configuration as its leader sees it.
   *
   * @param members the voting members
   * @param leader the leader that answered
   * @param stable false while a change is under way (the old members are then in {@code old})
   * @param old the members of the old configuration during a change, else empty
   */
  public record Membership(
      List<RaftPeer> members, RaftPeerId leader, boolean stable, List<RaftPeer> old) {
    public Membership {
      members = List.copyOf(members);
      old = List.copyOf(old);
    }

    /** The members as a peers string, {@code id@host:port,...}. */
    public String peersString() {
      return Peers.format(members);
    }

    public boolean contains(RaftPeerId id) {
      return members.stream().anyMatch(p -> p.getId().equals(id));
    }
  }

  private final RaftGroupId groupId;
  private final Map<RaftPeerId, RaftPeer> known = new LinkedHashMap<>();
  private final SequencerClientBuilder settings;
  private final Duration timeout;
  private final Duration requestTimeout;
  private volatile RaftPeerId leaderHint;

  private ClusterAdmin(SequencerClientBuilder b) {
    b.validate();
    this.settings = b;
    this.groupId = b.groupId != null ? b.groupId : Peers.groupId(b.clusterName);
    for (RaftPeer p : b.peers) {
      known.put(p.getId(), p);
    }
    this.timeout = b.callTimeout;
    this.requestTimeout = b.requestTimeout;
  }

  /**
   * An admin of the cluster that {@code settings} describes: its peers, cluster name (or group id),
   * call timeout (how long each operation may take, retries included) and request timeout (one
   * status request to one member); TLS settings too.
   */
  public static ClusterAdmin create(SequencerClientBuilder settings) {
    return new ClusterAdmin(settings);
  }

  /** The current configuration, read from the leader. */
  public Membership membership() throws IOException {
    return membership(System.nanoTime() + timeout.toNanos());
  }

  /** The current leader's id. */
  public RaftPeerId leader() throws IOException {
    return membership().leader();
  }

  /**
   * Adds {@code node} as a voting member. The node must be running (a new node started with an
   * empty data directory and {@code join}); the call returns once it has caught up and the new
   * configuration is committed.
   */
  public Membership addNode(RaftPeer node) throws IOException {
    return change(
        "add " + node.getId(),
        m -> m.contains(node.getId()),
        m -> {
          List<RaftPeer> next = new ArrayList<>(m.members());
          next.add(node);
          return next;
        },
        node);
  }

  /** Removes member {@code node}; stop it afterwards. Removing the leader moves leadership. */
  public Membership removeNode(RaftPeerId node) throws IOException {
    return change(
        "remove " + node,
        m -> !m.contains(node),
        m -> m.members().stream().filter(p -> !p.getId().equals(node)).toList(),
        null);
  }

  /**
   * Replaces member {@code old} (typically dead) by {@code replacement} in one configuration
   * change.
   */
  public Membership replaceNode(RaftPeerId old, RaftPeer replacement) throws IOException {
    if (old.equals(replacement.getId())) {
      throw new IllegalArgumentException("the replacement must have another id than " + old);
    }
    return change(
        "replace " + old + " by " + replacement.getId(),
        m -> !m.contains(old) && m.contains(replacement.getId()),
        m -> {
          List<RaftPeer> next = new ArrayList<>();
          for (RaftPeer p : m.members()) {
            if (!p.getId().equals(old) && !p.getId().equals(replacement.getId())) {
              next.add(p);
            }
          }
          next.add(replacement);
          return next;
        },
        replacement);
  }

  /** Moves leadership to member {@code target} and waits until it leads. */
  public Membership transferLeader(RaftPeerId target) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    IOException last = null;
    while (true) {
      Membership m = membership(deadline);
      if (m.leader().equals(target)) {
        return m;
      }
      if (!m.contains(target)) {
        throw new IllegalArgumentException(
            target + " is not a member (members: " + m.peersString() + ")");
      }
      long remaining = remainingMs(deadline);
      try (RaftClient raft = raftClient(m.members(), m.leader(), Duration.ofMillis(remaining))) {
        RaftClientReply reply =
            raft.admin().transferLeadership(target, m.leader(), Math.max(1000, remaining / 2));
        if (!reply.isSuccess()) {
          last = new IOException("transfer failed: " + reply.getException(), reply.getException());
        }
      } catch (IOException e) {
        last = e;
      }
      if (last != null) {
        LOG.info("transferring leadership to {}: {}; retrying", target, last.toString());
      }
      if (waitUntil(deadline, target)) {
        return membership(deadline);
      }
      if (System.nanoTime() > deadline) {
        throw new IOException("leadership did not move to " + target + " within " + timeout, last);
      }
    }
  }

  /**
   * Makes member {@code node} (null: the leader) take a snapshot now; returns the log index it
   * covers.
   */
  public long snapshot(RaftPeerId node) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Membership m = membership(deadline);
    RaftPeerId target = node != null ? node : m.leader();
    List<RaftPeer> peers = new ArrayList<>(m.members());
    if (!m.contains(target)) {
      RaftPeer p = known.get(target);
      if (p == null) {
        throw new IllegalArgumentException(
            target + " is not a member (members: " + m.peersString() + ")");
      }
      peers.add(p);
    }
    try (RaftClient raft =
        raftClient(peers, m.leader(), Duration.ofMillis(remainingMs(deadline)))) {
      RaftClientReply reply =
          raft.getSnapshotManagementApi(target).create(true, remainingMs(deadline));
      if (!reply.isSuccess()) {
        throw new IOException(
            "snapshot on " + target + " failed: " + reply.getException(), reply.getException());
      }
      return reply.getLogIndex();
    }
  }

  private Membership change(
      String what,
      java.util.function.Predicate<Membership> done,
      java.util.function.Function<Membership, List<RaftPeer>> nextOf,
      RaftPeer extra)
      throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Exception last = null;
    boolean probed = extra == null;
    while (true) {
      Membership m = membership(deadline);
      if (!probed && !m.contains(extra.getId())) {
        // Ratis (seen with 3.2.2) keeps a change pending on the leader while a new member does not
        // answer, and refuses every other change meanwhile: never start one for a node that is not
        // up.
        probe(extra, deadline);
        probed = true;
      }
      if (m.stable() && done.test(m)) {
        LOG.info("{}: done, members {}", what, m.peersString());
        return m;
      }
      if (m.stable()) {
        List<RaftPeer> next = nextOf.apply(m);
        if (next.isEmpty()) {
          throw new IllegalArgumentException("cannot " + what + ": no member would be left");
        }
        List<RaftPeer> dial = new ArrayList<>(m.members());
        if (extra != null && !m.contains(extra.getId())) {
          dial.add(extra);
        }
        SetConfigurationRequest.Arguments args =
            SetConfigurationRequest.Arguments.newBuilder()
                .setServersInNewConf(next)
                .setServersInCurrentConf(m.members())
                .setMode(SetConfigurationRequest.Mode.COMPARE_AND_SET)
                .build();
        LOG.info(
            "{}: asking {} to change {} -> {}",
            what,
            m.leader(),
            m.peersString(),
            Peers.format(next));
        try (RaftClient raft =
            raftClient(dial, m.leader(), Duration.ofMillis(remainingMs(deadline)))) {
          RaftClientReply reply = raft.admin().setConfiguration(args);
          if (reply.isSuccess()) {
            continue; // read back the committed configuration
          }
          last = reply.getException();
        } catch (IOException | RuntimeException e) {
          last = e;
        }
        LOG.info("{}: {}; retrying", what, last == null ? "failed" : last.toString());
      }
      if (System.nanoTime() + RETRY_SLEEP_MS * 1_000_000 > deadline) {
        throw new IOException(
            "could not " + what + " within " + timeout + " (members " + m.peersString() + ")",
            last);
      }
      sleep(RETRY_SLEEP_MS);
    }
  }

  /** Reads the configuration from the leader, found through any reachable member. */
  private Membership membership(long deadline) throws IOException {
    IOException last = null;
    while (true) {
      List<RaftPeerId> order = new ArrayList<>();
      RaftPeerId hint = leaderHint;
      if (hint != null && known.containsKey(hint)) {
        order.add(hint);
      }
      synchronized (known) {
        for (RaftPeerId id : known.keySet()) {
          if (!order.contains(id)) {
            order.add(id);
          }
        }
      }
      for (RaftPeerId id : order) {
        try {
          GroupInfoReply info = info(id);
          RoleInfoProto role = info.getRoleInfoProto();
          Membership m = membership(info, id);
          remember(m.members());
          remember(m.old());
          if (role.getRole() == RaftPeerRole.LEADER) {
            leaderHint = id;
            return m;
          }
          if (role.hasFollowerInfo() && role.getFollowerInfo().hasLeaderInfo()) {
            RaftPeer leader = ProtoUtils.toRaftPeer(role.getFollowerInfo().getLeaderInfo().getId());
            if (!leader.getId().toString().isEmpty()) {
              remember(List.of(leader));
              leaderHint = leader.getId();
            }
          }
        } catch (IOException | RuntimeException e) {
          last = e instanceof IOException io ? io : new IOException(e.toString(), e);
          LOG.debug("no group info from {}: {}", id, e.toString());
        }
      }
      if (System.nanoTime() + RETRY_SLEEP_MS * 1_000_000 > deadline) {
        throw new SequencerUnavailableException(
            "no leader found among " + known.keySet() + " within " + timeout, last);
      }
      sleep(RETRY_SLEEP_MS);
    }
  }

  /**
   * The configuration in member {@code from}'s group info, with {@code from} as the leader. Ratis
   * (from 3.3.0) sends the member's current configuration, with the old members while a change is
   * under way. A member on an older release sends none; then its group's peers stand in for it
   * (both halves during a change, which then reads as stable: the leader refuses a change started
   * meanwhile, and the caller tries again).
   */
  static Membership membership(GroupInfoReply info, RaftPeerId from) {
    Optional<RaftConfigurationProto> conf = info.getConf();
    if (conf.isEmpty()) {
      LOG.debug("{} sent no configuration (an older release); using its group's peers", from);
      return new Membership(new ArrayList<>(info.getGroup().getPeers()), from, true, List.of());
    }
    List<RaftPeer> members = ProtoUtils.toRaftPeers(conf.get().getPeersList());
    List<RaftPeer> old = ProtoUtils.toRaftPeers(conf.get().getOldPeersList());
    return new Membership(members, from, old.isEmpty(), old);
  }

  /** Waits until the new node {@code p} answers; fails at the deadline without a change. */
  private void probe(RaftPeer p, long deadline) throws IOException {
    IOException last;
    do {
      try (RaftClient raft = raftClient(List.of(p), p.getId(), requestTimeout)) {
        raft.getGroupManagementApi(p.getId()).info(groupId);
        return;
      } catch (IOException | RuntimeException e) {
        last = e instanceof IOException io ? io : new IOException(e.toString(), e);
        LOG.info("new node {} does not answer yet: {}", p.getId(), e.toString());
      }
      sleep(RETRY_SLEEP_MS);
    } while (System.nanoTime() + RETRY_SLEEP_MS * 1_000_000 < deadline);
    throw new IOException(
        "new node "
            + p.getId()
            + " does not answer at "
            + p.getAddress()
            + " for cluster "
            + groupId
            + ": start it first (sequencer node --join, empty data directory); the membership"
            + " is unchanged",
        last);
  }

  private GroupInfoReply info(RaftPeerId id) throws IOException {
    List<RaftPeer> peers;
    synchronized (known) {
      peers = new ArrayList<>(known.values());
    }
    try (RaftClient raft = raftClient(peers, id, requestTimeout)) {
      return raft.getGroupManagementApi(id).info(groupId);
    }
  }

  private void remember(List<RaftPeer> peers) {
    synchronized (known) {
      for (RaftPeer p : peers) {
        if (p.getAddress() != null && !p.getAddress().isEmpty()) {
          known.put(p.getId(), p);
        }
      }
    }
  }

  private boolean waitUntil(long deadline, RaftPeerId target) {
    long until = Math.min(deadline, System.nanoTime() + requestTimeout.toNanos() * 2);
    while (System.nanoTime() < until) {
      try {
        GroupInfoReply info = info(target);
        if (info.getRoleInfoProto().getRole() == RaftPeerRole.LEADER) {
          leaderHint = target;
          return true;
        }
      } catch (IOException | RuntimeException e) {
        // A slow peer's answer can also come as gRPC's DEADLINE_EXCEEDED, which Ratis's blocking
        // group-info call throws unchecked: ask again until the deadline.
        LOG.debug("no group info from {}: {}", target, e.toString());
      }
      sleep(100);
    }
    return false;
  }

  private RaftClient raftClient(List<RaftPeer> peers, RaftPeerId leader, Duration request) {
    RaftProperties props = settings.ratisProperties(4);
    long ms = Math.max(1000, request.toMillis());
    RaftClientConfigKeys.Rpc.setRequestTimeout(
        props, TimeDuration.valueOf(ms, TimeUnit.MILLISECONDS));
    RaftClient.Builder b =
        RaftClient.newBuilder()
            .setProperties(props)
            .setRaftGroup(RaftGroup.valueOf(groupId, peers))
            .setLeaderId(leader)
            .setRetryPolicy(RetryPolicies.noRetry());
    settings.applyParameters(b);
    return b.build();
  }

  private static long remainingMs(long deadline) {
    return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  @Override
  public void close() {
    // Every Ratis client lives for one request; nothing stays open.
  }
}
