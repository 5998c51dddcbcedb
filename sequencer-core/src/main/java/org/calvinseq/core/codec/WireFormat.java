package org.calvinseq.core.codec;

/**
 * Field numbers and constants of the wire format; {@code docs/wire-format.md} is the normative
 * description. Every entry is a msgpack map keyed by these small integers, written in ascending key
 * order with the shortest msgpack encoding of each value.
 */
public final class WireFormat {
  private WireFormat() {}

  /**
   * The format version of every ack and cluster-init entry, and of batches whose txns carry their
   * own client txn ids: clients propose and submit it, and every reader reads it.
   */
  public static final int VERSION = 1;

  /**
   * The format version of grouped batches (docs/wire-format.md, section 3a): the txns in groups of
   * consecutive client txn ids, each id written once per group instead of once per txn. Only batch
   * entries take it; leaders write it once the log records apply rules {@link #RULES_GROUPED}, and
   * replicas read it only from there on (before, it is an entry they cannot decode, as for code of
   * earlier versions).
   */
  public static final int VERSION_GROUPED = 2;

  /**
   * How far above the expected epoch ({@code nextEpoch}) a batch may name an epoch. A batch naming
   * an epoch further ahead is skipped as out of range, identically on every replica, and takes no
   * epoch: otherwise one entry could use up the epoch space. A protocol constant, not a setting,
   * because every replica must apply the same rule; a leader refuses such batches long before this
   * (its {@code maxEpochGap}, at most this value).
   */
  public static final long MAX_EPOCH_GAP = 1_000_000_000L;

  /**
   * The largest epoch a batch can take, 2^63-2, so that the next epoch, {@code epoch + 1}, still
   * fits a signed 64-bit integer. A batch that names (or would take) a larger epoch is out of
   * range.
   */
  public static final long MAX_EPOCH = Long.MAX_VALUE - 1;

  /**
   * The most {@code epochSystemMs} can advance from one epoch to the next: a proposer clock further
   * ahead counts as this far ahead. It keeps one entry with a wild {@code proposerMs} from moving
   * epoch time (hence completion retention and engines' TTLs) far into the future; after an idle
   * period epoch time catches up with real clocks by up to this much per epoch.
   */
  public static final long MAX_EPOCH_MS_STEP = 3_600_000L;

  /**
   * The largest {@code epochSystemMs} a proposer clock can set, 9999-12-31T23:59:59.999Z; it bounds
   * the first epoch of a log, which has no previous epoch to step from. Epoch time still rises by 1
   * ms per epoch beyond it.
   */
  public static final long MAX_PROPOSER_MS = 253_402_300_799_999L;

  /**
   * How many runs of sequences each client's de-duplication window holds (docs/wire-format.md,
   * section 9a). A run is consecutive sequences sequenced in one epoch at consecutive positions: a
   * batch of one client's txns is normally one run. Past it, the lowest run is forgotten and the
   * client's sequences up to its end are refused as too old. A protocol constant, like the three
   * below, because every replica must de-duplicate alike.
   */
  public static final int DEDUPE_WINDOW_RUNS = 64;

  /**
   * The apply rules this code applies, recorded by its leaders in cluster-init entries (field
   * {@link #INIT_RULES_VERSION}): 3, grouped batches. De-duplication starts where the log first
   * records rules {@link #RULES_DEDUPE} or more, and grouped batches decode where it first records
   * {@link #RULES_GROUPED} or more, so that every replica starts either at the same position
   * whatever snapshot it started from; an entry without the field records 1, the rules before.
   */
  public static final int RULES_VERSION = 3;

  /** The first apply rules with de-duplication by client txn id (docs/wire-format.md, 9a). */
  public static final int RULES_DEDUPE = 2;

  /**
   * The first apply rules under which batches of format {@link #VERSION_GROUPED} decode
   * (docs/wire-format.md, 3a). A replica of an earlier version stops at the cluster-init entry that
   * records them, rather than skip the grouped batches that follow it while newer replicas apply
   * them.
   */
  public static final int RULES_GROUPED = 3;

  /**
   * The most client ids the de-duplication state tracks; past it, the least recently seen client is
   * forgotten (and its retries are then new txns).
   */
  public static final int DEDUPE_MAX_CLIENTS = 16_384;

  /**
   * How long, in epoch time ({@code epochSystemMs}), a client id is remembered after its last txn:
   * 24 hours. An idle client is forgotten at the first epoch more than this after it was last seen.
   */
  public static final long DEDUPE_CLIENT_EXPIRY_MS = 86_400_000L;

  public static final int TYPE_BATCH = 1;
  public static final int TYPE_ACK = 2;
  public static final int TYPE_CLUSTER_INIT = 3;

  // Entry fields.
  public static final int ENTRY_VERSION = 0;
  public static final int ENTRY_TYPE = 1;
  public static final int BATCH_EPOCH = 2;
  public static final int BATCH_PROPOSER_MS = 3;
  public static final int BATCH_TXNS = 4;
  public static final int ACK_ACKS = 5;
  public static final int INIT_VSHARD_COUNT = 6;
  public static final int INIT_CLUSTER_NAME = 7;
  public static final int INIT_RULES_VERSION = 8;

  // Txn fields.
  public static final int TXN_CLIENT_ID = 1;
  public static final int TXN_TENANT = 2;
  public static final int TXN_READ_SET = 3;
  public static final int TXN_WRITE_SET = 4;
  public static final int TXN_PAYLOAD = 5;

  // Ack fields.
  public static final int ACK_EPOCH = 1;
  public static final int ACK_POSITION = 2;
  public static final int ACK_VSHARD = 3;
  public static final int ACK_PARTICIPANTS = 4;
}
