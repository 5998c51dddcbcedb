package org.calvinseq.it.engine;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.calvinseq.client.Peers;
import org.calvinseq.core.codec.ProposalLimits;
import org.calvinseq.server.SequencerNode;
import org.calvinseq.server.SequencerNodeBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A storage-engine process: one {@link SequencerNode} with a {@link KvEngine} on top, until SIGTERM
 * (then the engine checkpoints and both close). The fault tests run three of these as the members
 * of a {@code LocalCluster} in process mode, so that SIGKILL hits an engine and its node together,
 * as it would in production.
 *
 * <p>Flags: {@code --id --peers --data-dir --admin-port} (required), {@code --raft-bind-port},
 * {@code --vshards}, {@code --queue-capacity}, {@code --snapshot-every}, {@code
 * --replay-retention}, {@code --log-segment-bytes}, {@code --max-batch-bytes}, {@code
 * --checkpoint-every}, {@code --ready-max-lag}, {@code --log-failed-exit-delay-ms}. The engine
 * keeps its checkpoints beside the data directory in {@code <id>-engine}, and reads the other
 * members' checkpoints from {@code <peer>-engine} there (the layout of a {@code LocalCluster}).
 */
public final class KvEngineMain {
  private static final Logger LOG = LoggerFactory.getLogger(KvEngineMain.class);

  private KvEngineMain() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> a = parse(args);
    String id = required(a, "--id");
    String peers = required(a, "--peers");
    Path dataDir = Path.of(required(a, "--data-dir"));
    SequencerNodeBuilder b =
        SequencerNode.builder()
            .nodeId(id)
            .peers(peers)
            .dataDir(dataDir)
            .adminPort(Integer.parseInt(required(a, "--admin-port")));
    if (a.containsKey("--raft-bind-port")) {
      b.raftBindPort(Integer.parseInt(a.get("--raft-bind-port")));
    }
    if (a.containsKey("--vshards")) {
      b.vshardCount(Integer.parseInt(a.get("--vshards")));
    }
    if (a.containsKey("--queue-capacity")) {
      b.queueCapacity(Integer.parseInt(a.get("--queue-capacity")));
    }
    if (a.containsKey("--snapshot-every")) {
      b.snapshotEvery(Long.parseLong(a.get("--snapshot-every")));
    }
    if (a.containsKey("--replay-retention")) {
      b.replayRetention(Long.parseLong(a.get("--replay-retention")));
    }
    if (a.containsKey("--max-batch-bytes")) {
      int bytes = Integer.parseInt(a.get("--max-batch-bytes"));
      ProposalLimits d = ProposalLimits.DEFAULTS;
      b.limits(
          new ProposalLimits(
              bytes, d.maxTxnsPerBatch(), d.maxKeysPerTxn(), Math.min(d.maxPayloadBytes(), bytes)));
    }
    if (a.containsKey("--ready-max-lag")) {
      b.readyMaxLag(Long.parseLong(a.get("--ready-max-lag")));
    }
    if (a.containsKey("--log-segment-bytes")) {
      b.logSegmentBytes(Long.parseLong(a.get("--log-segment-bytes")));
    }
    List<Path> peerDirs = new ArrayList<>();
    for (String p : Peers.ids(peers)) {
      if (!p.equals(id)) {
        peerDirs.add(engineDir(dataDir, p));
      }
    }
    SequencerNode node = b.build();
    KvEngine engine =
        KvEngine.builder()
            .node(node)
            .dir(engineDir(dataDir, id))
            .peerDirs(peerDirs)
            .checkpointEvery(Integer.parseInt(a.getOrDefault("--checkpoint-every", "500")))
            .build();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    engine.close();
                    node.close();
                    LOG.info("kv engine process {} shut down cleanly", id);
                  } catch (Exception e) {
                    LOG.error("kv engine process {} did not shut down cleanly", id, e);
                  } finally {
                    stopped.countDown();
                  }
                },
                "shutdown-" + id));
    node.start();
    engine.start();
    LOG.info("kv engine process {} running: admin port {}", id, node.adminPort());
    // Like `sequencer node`: a node whose Raft log failed cannot recover in place, so the process
    // exits with status 3 (after a delay in which /ready and /metrics say why) for its supervisor
    // to start it again.
    long exitDelayMs = Long.parseLong(a.getOrDefault("--log-failed-exit-delay-ms", "15000"));
    node.logFailure()
        .thenAccept(
            reason -> {
              LOG.error(
                  "kv engine process {}: {}; exiting with status {} in {} ms",
                  id,
                  reason,
                  EXIT_LOG_FAILED,
                  exitDelayMs);
              Thread exit =
                  new Thread(
                      () -> {
                        try {
                          Thread.sleep(exitDelayMs);
                        } catch (InterruptedException e) {
                          Thread.currentThread().interrupt();
                        }
                        System.exit(EXIT_LOG_FAILED);
                      },
                      "exit-" + id);
              exit.setDaemon(true);
              exit.start();
            });
    stopped.await();
  }

  /** Exit status after a failed write of the node's Raft log, as {@code sequencer node}'s. */
  public static final int EXIT_LOG_FAILED = 3;

  /** Where the engine of member {@code id} keeps its checkpoints, beside the data directory. */
  public static Path engineDir(Path dataDir, String id) {
    return dataDir.toAbsolutePath().resolveSibling(id + "-engine");
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> out = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("expected --flag value pairs, got " + args[i]);
      }
      out.put(args[i], args[++i]);
    }
    return out;
  }

  private static String required(Map<String, String> a, String flag) {
    String v = a.get(flag);
    if (v == null) {
      throw new IllegalArgumentException(flag + " is required");
    }
    return v;
  }
}
