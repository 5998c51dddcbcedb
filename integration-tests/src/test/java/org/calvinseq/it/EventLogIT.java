package org.calvinseq.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletionException;
import org.calvinseq.client.StaleEpochException;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.protocol.BatchReceipt;
import org.calvinseq.testkit.LocalCluster;
import org.junit.jupiter.api.Test;

/**
 * The event log of real nodes: a batch naming an epoch already passed is written, with its epoch
 * and log index, by every replica, next to the leader change each node saw at start-up.
 */
class EventLogIT {
  @Test
  void staleBatchAndLeaderChangeAreInEveryNodesEventLog() throws Exception {
    try (LocalCluster cluster =
        LocalCluster.builder()
            .nodes(3)
            .configure(b -> b.vshardCount(16).eventLog(Path.of("events.tsv")))
            .build()
            .start()) {
      cluster.awaitLeader(Duration.ofSeconds(30));
      Random rnd = new Random(3);
      BatchReceipt first = cluster.client().propose(TestTxns.batch(rnd, 3, 4, 5, 0)).join();
      assertThat(first.epoch()).isZero();

      EpochBatch stale =
          new EpochBatch(0, System.currentTimeMillis(), TestTxns.batch(rnd, 2, 4, 5, 10).txns());
      Throwable err = cluster.client().propose(stale).handle((r, e) -> e).join();
      if (err instanceof CompletionException c && c.getCause() != null) {
        err = c.getCause();
      }
      assertThat(err).isInstanceOf(StaleEpochException.class);
      long index = ((StaleEpochException) err).receipt().index();
      String expected = "\tstale_epoch\t0\t" + index + "\texpected epoch 1, not applied";

      for (int i = 0; i < cluster.size(); i++) {
        Path file = cluster.dataDir(i).resolve("events.tsv");
        String node = "n" + (i + 1);
        LocalCluster.await(
            Duration.ofSeconds(10),
            () -> lines(file).stream().anyMatch(l -> l.endsWith(node + expected)),
            node + "'s event log to have the stale batch at index " + index);
        List<String> lines = lines(file);
        assertThat(lines).allSatisfy(l -> assertThat(l.split("\t", -1)).hasSize(6));
        assertThat(lines.get(0)).contains("\t" + node + "\tlog_opened\t-\t-\t");
        assertThat(lines).anyMatch(l -> l.contains("\tleader_change\t") && l.contains("term"));
        assertThat(lines)
            .allMatch(l -> l.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\t.*"));
      }
    }
  }

  private static List<String> lines(Path file) {
    try {
      return Files.exists(file) ? Files.readAllLines(file) : List.of();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
