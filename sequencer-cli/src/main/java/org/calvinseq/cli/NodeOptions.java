package org.calvinseq.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.calvinseq.client.Peers;
import org.calvinseq.core.codec.ProposalLimits;
import org.calvinseq.core.routing.VShardRouter;
import org.calvinseq.server.NodeConfig;
import org.calvinseq.server.SequencerNode;
import org.calvinseq.server.SequencerNodeBuilder;
import org.calvinseq.server.admin.AdminServer;
import org.calvinseq.server.inbox.InboxSettings;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.TypeConversionException;

/**
 * The settings of one node, as flags. The same names, without the leading dashes, are the keys of a
 * {@code --config} properties file (see {@link ConfigFile}). Defaults come from {@link NodeConfig},
 * {@link ProposalLimits#DEFAULTS} and {@link InboxSettings} through {@link Defaults}, so the help
 * text and the embedded node never disagree; the inbox's epoch sizes have no fixed default, since
 * theirs follow the proposal limits.
 */
@Command(defaultValueProvider = NodeOptions.Defaults.class)
final class NodeOptions {
  @Option(
      names = "--id",
      paramLabel = "ID",
      description = "This member's id; one of the ids in --peers. Required.")
  String id;

  @Option(
      names = "--peers",
      paramLabel = "PEERS",
      converter = PeersText.class,
      description = "Every member and its Raft address, as ID@HOST:PORT,... Required.")
  String peers;

  @Option(
      names = "--cluster-name",
      paramLabel = "NAME",
      description =
          "Names the Raft group; nodes and clients must agree. Default: ${DEFAULT-VALUE}.")
  String clusterName;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description = "Where this node keeps its Raft log and snapshots. Required.")
  Path dataDir;

  @Option(
      names = "--admin-host",
      paramLabel = "HOST",
      description = "Address the admin HTTP endpoint binds to. Default: ${DEFAULT-VALUE}.")
  String adminHost;

  @Option(
      names = "--admin-port",
      paramLabel = "PORT",
      description =
          "Admin endpoint port (/metrics, /health, /ready, /status): 0 picks a free port"
              + " (printed at start), -1 turns it off. Default: ${DEFAULT-VALUE}.")
  int adminPort;

  @Option(
      names = "--admin-allow",
      paramLabel = "CIDR",
      split = ",",
      converter = Cidr.class,
      description =
          "Client range allowed to reach the admin endpoint, e.g. 10.0.0.0/8; repeatable."
              + " Default: any client that can reach --admin-host.")
  List<String> adminAllow;

  @Option(
      names = "--vshards",
      paramLabel = "N",
      description = "Number of vshards, fixed for the cluster's life. Default: ${DEFAULT-VALUE}.")
  int vshards;

  @Option(
      names = "--hosted",
      paramLabel = "RANGES",
      converter = VShardRanges.class,
      description = "Vshards hosted on this node, e.g. 0-511 or 0-127,512-639. Default: all.")
  BitSet hosted;

  @Option(
      names = "--queue-capacity",
      paramLabel = "N",
      description =
          "Bound of each vshard's delivery queue, rounded up to a power of two of at least 4"
              + " (1 gives 4, 1000 gives 1024). Default: ${DEFAULT-VALUE}.")
  int queueCapacity;

  @Option(
      names = "--max-batch-bytes",
      paramLabel = "BYTES",
      description = "Largest encoded batch the leader accepts. Default: ${DEFAULT-VALUE}.")
  int maxBatchBytes;

  @Option(
      names = "--max-txns-per-batch",
      paramLabel = "N",
      description = "Most txns in one batch. Default: ${DEFAULT-VALUE}.")
  int maxTxnsPerBatch;

  @Option(
      names = "--max-keys-per-txn",
      paramLabel = "N",
      description = "Most keys (read plus write set) in one txn. Default: ${DEFAULT-VALUE}.")
  int maxKeysPerTxn;

  @Option(
      names = "--max-payload-bytes",
      paramLabel = "BYTES",
      description = "Largest payload of one txn. Default: ${DEFAULT-VALUE}.")
  int maxPayloadBytes;

  @Option(
      names = "--max-epoch-gap",
      paramLabel = "EPOCHS",
      description =
          "Most epochs above the next epoch that a batch may name; the leader refuses batches"
              + " naming one further ahead (at most "
              + org.calvinseq.core.codec.WireFormat.MAX_EPOCH_GAP
              + ", the protocol's bound). Default: ${DEFAULT-VALUE}.")
  long maxEpochGap;

  @Option(
      names = "--snapshot-every",
      paramLabel = "ENTRIES",
      description = "Take a snapshot after this many applied entries. Default: ${DEFAULT-VALUE}.")
  long snapshotEvery;

  @Option(
      names = "--replay-retention",
      paramLabel = "ENTRIES",
      description =
          "Newest log entries kept when the log is purged after a snapshot, so that replay"
              + " can serve them (purging drops whole segments, so more may remain)."
              + " Default: ${DEFAULT-VALUE}.")
  long replayRetention;

  @Option(
      names = "--log-segment-bytes",
      paramLabel = "BYTES",
      description = "Raft log segment size. Default: ${DEFAULT-VALUE}.")
  long logSegmentBytes;

  @Option(
      names = "--election-timeout-min",
      paramLabel = "MS",
      description =
          "Lower bound of the randomized election timeout, in ms. Default: ${DEFAULT-VALUE}.")
  long electionTimeoutMinMs;

  @Option(
      names = "--election-timeout-max",
      paramLabel = "MS",
      description =
          "Upper bound of the randomized election timeout, in ms. Default: ${DEFAULT-VALUE}.")
  long electionTimeoutMaxMs;

  @Option(
      names = "--raft-bind-port",
      paramLabel = "PORT",
      description =
          "Port the Raft server listens on, when it differs from the port of this node's own"
              + " address in --peers (something such as a proxy or a NAT sits between the address"
              + " the peers dial and the node); -1 for that port. Default: ${DEFAULT-VALUE}.")
  int raftBindPort;

  @Option(
      names = "--ready-max-lag",
      paramLabel = "ENTRIES",
      description =
          "/ready fails while this node's applied index trails the leader's commit index by more"
              + " than this many entries. Default: ${DEFAULT-VALUE}.")
  long readyMaxLag;

  @Option(
      names = "--completion-retention",
      paramLabel = "MS",
      description =
          "How long, in epoch time (ms), a txn's completion-ack state is kept after its first ack;"
              + " older states are evicted. Every member must use the same value."
              + " Default: ${DEFAULT-VALUE}.")
  long completionRetentionMs;

  @Option(
      names = "--completion-max-entries",
      paramLabel = "N",
      description =
          "Most txns whose completion-ack state is kept at once, oldest evicted first. Every"
              + " member must use the same value. Default: ${DEFAULT-VALUE}.")
  int completionMaxEntries;

  @Option(
      names = "--inbox-epoch-interval",
      paramLabel = "MS",
      description =
          "Leader inbox: the longest a submission waits, in ms, while the eager epochs are in"
              + " flight. Default: ${DEFAULT-VALUE}.")
  long inboxEpochIntervalMs;

  @Option(
      names = "--inbox-max-txns-per-epoch",
      paramLabel = "N",
      description =
          "Leader inbox: most txns in one epoch, at most --max-txns-per-batch. Default: the"
              + " smaller of "
              + InboxSettings.DEFAULT_MAX_TXNS_PER_EPOCH
              + " and --max-txns-per-batch.")
  Integer inboxMaxTxnsPerEpoch;

  @Option(
      names = "--inbox-max-bytes-per-epoch",
      paramLabel = "BYTES",
      description =
          "Leader inbox: most encoded bytes in one epoch, at most --max-batch-bytes. Default:"
              + " the smaller of "
              + InboxSettings.DEFAULT_MAX_BYTES_PER_EPOCH
              + " (16 MiB) and --max-batch-bytes.")
  Integer inboxMaxBytesPerEpoch;

  @Option(
      names = "--inbox-eager-in-flight",
      paramLabel = "N",
      description =
          "Leader inbox: while fewer epochs than this are in flight, an epoch closes as soon as"
              + " anything waits (K). Default: ${DEFAULT-VALUE}.")
  int inboxEagerInFlight;

  @Option(
      names = "--inbox-max-in-flight",
      paramLabel = "N",
      description =
          "Leader inbox: with this many epochs in flight none closes; at least"
              + " --inbox-eager-in-flight. Default: ${DEFAULT-VALUE}.")
  int inboxMaxInFlight;

  @Option(
      names = "--inbox-capacity-txns",
      paramLabel = "N",
      description =
          "Leader inbox: most txns waiting; beyond it submissions are refused as full."
              + " Default: ${DEFAULT-VALUE}.")
  int inboxCapacityTxns;

  @Option(
      names = "--inbox-capacity-bytes",
      paramLabel = "BYTES",
      description =
          "Leader inbox: most encoded bytes waiting. Default: "
              + InboxSettings.DEFAULT_CAPACITY_EPOCHS_OF_BYTES
              + " times --inbox-max-bytes-per-epoch.")
  Long inboxCapacityBytes;

  @Option(
      names = "--inbox-tenant-share-divisor",
      paramLabel = "N",
      description =
          "Leader inbox: one tenant may hold at most 1/N of its capacity (txns and bytes), and"
              + " that share must hold a full epoch. Default: ${DEFAULT-VALUE}.")
  int inboxTenantShareDivisor;

  @Option(
      names = "--join",
      description =
          "Start as a new member of a running cluster: wait outside the configuration until"
              + " 'sequencer admin add-node' (or replace-node) adds this node. Needs an empty"
              + " --data-dir on the first start; later starts ignore it.")
  boolean join;

  @Option(
      names = "--event-log",
      paramLabel = "FILE",
      description =
          "Append sequencer events (gaps, stale epochs, decode errors, vshards behind, leader"
              + " changes, snapshots) to FILE, one tab-separated line each, rotated by size keeping"
              + " 5 generations; relative to --data-dir. Default: off.")
  Path eventLog;

  @Option(
      names = "--tls-cert",
      paramLabel = "FILE",
      description =
          "This node's certificate chain (PEM) for mutual TLS on Raft and client traffic; it must"
              + " name the host of this node's peer address. With --tls-key and --tls-ca."
              + " Default: no TLS.")
  Path tlsCert;

  @Option(
      names = "--tls-key",
      paramLabel = "FILE",
      description = "The private key of --tls-cert (PEM, PKCS#8, unencrypted).")
  Path tlsKey;

  @Option(
      names = "--tls-ca",
      paramLabel = "FILE",
      description = "The CA certificate (PEM) that peers' and clients' certificates must chain to.")
  Path tlsCa;

  /**
   * A node builder with these settings, checked as a whole.
   *
   * @throws ParameterException when a required setting is missing
   * @throws IllegalArgumentException when settings contradict each other
   */
  SequencerNodeBuilder builder(CommandLine cl) {
    List<String> missing = new ArrayList<>();
    if (id == null || id.isBlank()) {
      missing.add("--id");
    }
    if (peers == null) {
      missing.add("--peers");
    }
    if (dataDir == null) {
      missing.add("--data-dir");
    }
    if (!missing.isEmpty()) {
      throw new ParameterException(
          cl,
          "Missing required setting(s): "
              + String.join(", ", missing)
              + " (give them as flags or as keys of the --config file)");
    }
    // The node's own settings check (NodeConfig) refuses --hosted beyond --vshards.
    SequencerNodeBuilder b =
        SequencerNode.builder()
            .nodeId(id)
            .peers(peers)
            .clusterName(clusterName)
            .dataDir(dataDir)
            .adminHost(adminHost)
            .adminPort(adminPort)
            .adminAllowedClients(adminAllow == null ? List.of() : adminAllow)
            .vshardCount(vshards)
            .hosted(hosted)
            .queueCapacity(queueCapacity)
            .limits(
                new ProposalLimits(
                    maxBatchBytes, maxTxnsPerBatch, maxKeysPerTxn, maxPayloadBytes, maxEpochGap))
            .snapshotEvery(snapshotEvery)
            .replayRetention(replayRetention)
            .logSegmentBytes(logSegmentBytes)
            .electionTimeout(
                Duration.ofMillis(electionTimeoutMinMs), Duration.ofMillis(electionTimeoutMaxMs))
            .raftBindPort(raftBindPort)
            .readyMaxLag(readyMaxLag)
            .completionRetention(Duration.ofMillis(completionRetentionMs))
            .completionMaxEntries(completionMaxEntries)
            .join(join)
            .eventLog(eventLog)
            .tls(org.calvinseq.client.TlsFiles.ofNullable(tlsCert, tlsKey, tlsCa));
    InboxSettings inbox = inboxSettings(b.config().limits());
    return b.inboxSettings(defaults -> inbox);
  }

  /**
   * The leader inbox's settings within {@code limits}: the flags given, the inbox's defaults for
   * the others, checked as the node's builder checks them.
   *
   * @throws IllegalArgumentException naming the setting the inbox refuses
   */
  InboxSettings inboxSettings(ProposalLimits limits) {
    InboxSettings d = InboxSettings.defaults(limits);
    int epochTxns = inboxMaxTxnsPerEpoch != null ? inboxMaxTxnsPerEpoch : d.maxTxnsPerEpoch();
    int epochBytes = inboxMaxBytesPerEpoch != null ? inboxMaxBytesPerEpoch : d.maxBytesPerEpoch();
    long capacityBytes =
        inboxCapacityBytes != null
            ? inboxCapacityBytes
            : (long) InboxSettings.DEFAULT_CAPACITY_EPOCHS_OF_BYTES * epochBytes;
    try {
      return new InboxSettings(
          Duration.ofMillis(inboxEpochIntervalMs),
          epochTxns,
          epochBytes,
          inboxEagerInFlight,
          inboxMaxInFlight,
          inboxCapacityTxns,
          capacityBytes,
          inboxTenantShareDivisor,
          d.reserveDivisor(),
          d.maxRetryAfter(),
          limits);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("leader inbox settings (--inbox-*): " + e.getMessage(), e);
    }
  }

  /** Defaults of the node's settings, taken from the classes that own them. */
  static final class Defaults implements IDefaultValueProvider {
    @Override
    public String defaultValue(ArgSpec arg) {
      if (!(arg instanceof OptionSpec o)) {
        return null;
      }
      ProposalLimits limits = ProposalLimits.DEFAULTS;
      Object v =
          switch (o.longestName()) {
            case "--cluster-name" -> Peers.DEFAULT_CLUSTER;
            case "--admin-host" -> AdminServer.DEFAULT_HOST;
            case "--admin-port" -> 0;
            case "--vshards" -> VShardRouter.DEFAULT_VSHARD_COUNT;
            case "--queue-capacity" -> NodeConfig.DEFAULT_QUEUE_CAPACITY;
            case "--max-batch-bytes" -> limits.maxBatchBytes();
            case "--max-txns-per-batch" -> limits.maxTxnsPerBatch();
            case "--max-keys-per-txn" -> limits.maxKeysPerTxn();
            case "--max-payload-bytes" -> limits.maxPayloadBytes();
            case "--max-epoch-gap" -> limits.maxEpochGap();
            case "--snapshot-every" -> NodeConfig.DEFAULT_SNAPSHOT_EVERY;
            case "--replay-retention" -> NodeConfig.DEFAULT_REPLAY_RETENTION;
            case "--log-segment-bytes" -> NodeConfig.DEFAULT_LOG_SEGMENT_BYTES;
            case "--election-timeout-min" -> NodeConfig.DEFAULT_ELECTION_MIN.toMillis();
            case "--election-timeout-max" -> NodeConfig.DEFAULT_ELECTION_MAX.toMillis();
            case "--raft-bind-port" -> -1;
            case "--ready-max-lag" -> NodeConfig.DEFAULT_READY_MAX_LAG;
            case "--completion-retention" -> NodeConfig.DEFAULT_COMPLETION_RETENTION.toMillis();
            case "--completion-max-entries" -> NodeConfig.DEFAULT_COMPLETION_MAX_ENTRIES;
            case "--inbox-epoch-interval" -> InboxSettings.DEFAULT_EPOCH_INTERVAL.toMillis();
            case "--inbox-eager-in-flight" -> InboxSettings.DEFAULT_EAGER_IN_FLIGHT;
            case "--inbox-max-in-flight" -> InboxSettings.DEFAULT_MAX_IN_FLIGHT;
            case "--inbox-capacity-txns" -> InboxSettings.DEFAULT_CAPACITY_TXNS;
            case "--inbox-tenant-share-divisor" -> InboxSettings.DEFAULT_TENANT_SHARE_DIVISOR;
            default -> null;
          };
      return v == null ? null : v.toString();
    }
  }

  /** Checks the peers string at parse time, so that a typo is reported against its flag. */
  static final class PeersText implements ITypeConverter<String> {
    @Override
    public String convert(String value) {
      try {
        Peers.parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
      return value.strip();
    }
  }

  /** Checks a CIDR range at parse time with the admin endpoint's own parser. */
  static final class Cidr implements ITypeConverter<String> {
    @Override
    public String convert(String value) {
      try {
        AdminServer.builder().allowedClients(List.of(value));
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
      return value.strip();
    }
  }
}
