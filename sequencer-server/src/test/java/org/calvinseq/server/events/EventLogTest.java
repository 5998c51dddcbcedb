package org.calvinseq.server.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import org.calvinseq.core.queue.OfferResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The event log's writer without its thread: tests record events and call {@link EventLog#drain()}
 * themselves, so every outcome is deterministic. One test runs the real writer thread.
 */
class EventLogTest {
  private static final InstantSource CLOCK =
      InstantSource.fixed(Instant.parse("2026-01-02T03:04:05Z"));

  @TempDir Path dir;
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<EventLog> opened = new ArrayList<>();

  private EventLog log(EventLogConfig config) {
    EventLog l = new EventLog(config, "n1", "1.2.3", registry, CLOCK);
    opened.add(l);
    return l;
  }

  @AfterEach
  void closeAll() {
    opened.forEach(EventLog::close);
  }

  private double count(String name) {
    return registry.get(name).counter().count();
  }

  private static List<String[]> rows(Path file) throws IOException {
    return Files.readAllLines(file).stream().map(l -> l.split("\t", -1)).toList();
  }

  @Test
  void lineHasSixColumnsWithFixedWidthUtcTimeAndDashesForAbsentValues() throws IOException {
    Path file = dir.resolve("events.tsv");
    EventLog log = log(EventLogConfig.of(file));
    log.onStale(42, 3, 7);
    log.onDecodeError(43, "");
    log.drain();

    List<String> lines = Files.readAllLines(file);
    assertThat(lines)
        .containsExactly(
            "2026-01-02T03:04:05.000Z\tn1\tstale_epoch\t3\t42\texpected epoch 7, not applied",
            "2026-01-02T03:04:05.000Z\tn1\tdecode_error\t-\t43\t-");
  }

  @Test
  void tabsNewlinesBackslashesAndControlsAreEscapedSoTheColumnCountNeverChanges()
      throws IOException {
    Path file = dir.resolve("events.tsv");
    EventLog log = log(EventLogConfig.of(file));
    String nasty = "a\tb\nc\rd\\e\u0001f";
    log.onDecodeError(1, nasty);
    log.onLeaderChange("x\ty", 2, 5, 9);
    log.onDecodeError(2, "z".repeat(EventLine.MAX_DETAIL_CHARS + 50));
    log.drain();

    List<String[]> rows = rows(file);
    assertThat(rows).hasSize(3).allSatisfy(r -> assertThat(r).hasSize(EventLine.COLUMNS));
    assertThat(rows.get(0)[5]).isEqualTo("a\\tb\\nc\\rd\\\\e\\u0001f");
    assertThat(rows.get(1)[5]).isEqualTo("leader x\\ty term 2");
    assertThat(rows.get(1)[3]).isEqualTo("5");
    assertThat(rows.get(2)[5]).hasSize(EventLine.MAX_DETAIL_CHARS + 3).endsWith("...");
  }

  @Test
  void everyListenerMethodWritesItsType() throws IOException {
    Path file = dir.resolve("events.tsv");
    EventLog log = log(EventLogConfig.of(file));
    log.onGap(10, 4, 6);
    log.onStale(11, 2, 7);
    log.onDecodeError(12, "bad");
    log.onEpochOutOfRange(12, Long.MAX_VALUE - 1, 7);
    log.onVShardBehind(13, 5, 7, OfferResult.FULL);
    log.onVShardCaughtUp(14, 5, 9);
    log.onLeaderChange("", 3, 9, 14);
    log.onSnapshotTaken(15, 3, 9, 100);
    log.onSnapshotInstalled(16, 3, 9);
    log.drain();

    assertThat(rows(file))
        .extracting(r -> r[2] + " " + r[3] + " " + r[4] + " " + r[5])
        .containsExactly(
            "epoch_gap 7 10 expected epoch 4, skipped 4..6 (3)",
            "stale_epoch 2 11 expected epoch 7, not applied",
            "decode_error - 12 bad",
            "epoch_out_of_range 9223372036854775806 12 expected epoch 7, too far ahead: skipped",
            "vshard_behind 7 13 vshard 5 queue full",
            "vshard_caught_up 9 14 vshard 5 live again",
            "leader_change 9 14 leader none term 3",
            "snapshot_taken 9 15 term 3, 100 bytes",
            "snapshot_installed 9 16 term 3, from the leader");
    assertThat(count("sequencer.event.log.written")).isEqualTo(9);
  }

  @Test
  void rotationKeepsFiveGenerationsOfBoundedSize() throws IOException {
    Path file = dir.resolve("events.tsv");
    EventLog log = log(EventLogConfig.of(file).withMaxBytes(4096));
    String detail = "d".repeat(900); // ~1 KB lines: 4 per file
    for (int i = 0; i < 40; i++) {
      log.onDecodeError(i, detail);
      log.drain();
    }

    RotatingFile f = new RotatingFile(file, 4096, 5, 0);
    assertThat(file).exists();
    for (int g = 1; g <= 5; g++) {
      assertThat(f.generation(g)).exists();
      assertThat(Files.size(f.generation(g))).isBetween(3000L, 4096L);
    }
    assertThat(f.generation(6)).doesNotExist();
    try (var s = Files.list(dir)) {
      assertThat(s.count()).isEqualTo(6);
    }
    // Oldest generation first, the live file last: indexes only rise.
    List<Long> indexes = new ArrayList<>();
    for (int g = 5; g >= 0; g--) {
      for (String[] r : rows(g == 0 ? file : f.generation(g))) {
        assertThat(r).hasSize(EventLine.COLUMNS);
        indexes.add(Long.parseLong(r[4]));
      }
    }
    assertThat(indexes).isSorted().endsWith(39L);
  }

  @Test
  void ioErrorIsCountedNeverThrownAndReportedOnceWritableAgain() throws IOException {
    Path blocker = dir.resolve("not-a-dir");
    Files.writeString(blocker, "a regular file where the log's directory should be");
    Path file = blocker.resolve("events.tsv");
    EventLog log = log(EventLogConfig.of(file));

    assertThatCode(
            () -> {
              log.onStale(1, 0, 1);
              log.drain();
              log.onStale(2, 0, 1);
              log.drain();
            })
        .doesNotThrowAnyException();
    assertThat(count("sequencer.event.log.errors")).isEqualTo(2);
    assertThat(count("sequencer.event.log.written")).isZero();

    Files.delete(blocker); // the operator fixes the disk
    log.onStale(3, 0, 1);
    log.drain();
    List<String[]> rows = rows(file);
    assertThat(rows).extracting(r -> r[2]).containsExactly("events_dropped", "stale_epoch");
    assertThat(rows.get(0)[5]).startsWith("2 events not written");
    assertThat(rows.get(1)[4]).isEqualTo("3");
    assertThat(count("sequencer.event.log.errors")).isEqualTo(2);
  }

  @Test
  void failedRotationIsCountedAndTheLogGoesOnOnceItCanRotate() throws IOException {
    Path file = dir.resolve("events.tsv");
    EventLog log = log(EventLogConfig.of(file).withMaxBytes(4096));
    RotatingFile f = new RotatingFile(file, 4096, 5, 0);
    // The oldest generation cannot be deleted: a non-empty directory is in its place.
    Files.createDirectories(f.generation(5).resolve("in-the-way"));
    String detail = "d".repeat(900);
    for (int i = 0; i < 6; i++) {
      log.onDecodeError(i, detail);
      log.drain();
    }
    assertThat(count("sequencer.event.log.errors")).isEqualTo(2);

    Files.delete(f.generation(5).resolve("in-the-way"));
    Files.delete(f.generation(5));
    log.onDecodeError(6, detail);
    log.drain();
    assertThat(f.generation(1)).isRegularFile();
    List<String[]> all = new ArrayList<>(rows(f.generation(1)));
    all.addAll(rows(file));
    // Every lost event is reported by an events_dropped line, and the log goes on.
    long reported =
        all.stream()
            .filter(r -> r[2].equals("events_dropped"))
            .mapToLong(r -> Long.parseLong(r[5].substring(0, r[5].indexOf(' '))))
            .sum();
    assertThat(reported).isEqualTo(2);
    assertThat(all.get(all.size() - 1)[4]).isEqualTo("6");
  }

  @Test
  void queueOverflowDropsAndCountsWithoutBlocking() throws IOException {
    Path file = dir.resolve("events.tsv");
    EventLog log = log(EventLogConfig.of(file).withQueueCapacity(3));
    for (int i = 0; i < 5; i++) {
      log.onStale(i, 0, 1);
    }
    assertThat(count("sequencer.event.log.dropped")).isEqualTo(2);

    log.drain();
    List<String[]> rows = rows(file);
    assertThat(rows).extracting(r -> r[2]).first().isEqualTo("events_dropped");
    assertThat(rows.get(0)[5]).startsWith("2 events");
    assertThat(rows).extracting(r -> r[4]).containsExactly("-", "0", "1", "2");
  }

  @Test
  void writerThreadWritesWhatIsRecordedAndCloseFlushesTheRest() throws IOException {
    Path file = dir.resolve("sub/events.tsv");
    EventLog log = log(EventLogConfig.of(file).withSyncEvery(1));
    log.start();
    for (int i = 0; i < 100; i++) {
      log.onVShardBehind(i, i % 7, i, OfferResult.CLOSED);
    }
    log.close();
    log.onStale(1000, 0, 1); // after close: dropped, not written, no exception

    List<String[]> rows = rows(file);
    assertThat(rows).hasSize(101);
    assertThat(rows.get(0)[2]).isEqualTo("log_opened");
    assertThat(rows.get(0)[5]).isEqualTo("1.2.3");
    assertThat(rows.get(100)[4]).isEqualTo("99");
    assertThat(count("sequencer.event.log.written")).isEqualTo(101);
  }
}
