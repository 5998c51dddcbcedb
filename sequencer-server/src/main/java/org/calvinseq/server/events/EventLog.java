package org.calvinseq.server.events;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.calvinseq.core.concurrent.DaemonThreads;
import org.calvinseq.core.queue.OfferResult;
import org.calvinseq.server.events.EventLine.Event;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's event log (see the package comment for the contract). Producers (the apply thread,
 * Raft notifications, the snapshot thread) stamp an event with the injected clock and offer it to a
 * bounded lock-free queue; one daemon writer thread formats and appends the lines.
 *
 * <p>Lifecycle: construct (registers the meters), {@link #start()} (starts the writer and writes a
 * {@code log_opened} line), {@link #close()} (writes what is queued, forces the file, stops).
 * Events recorded before {@code start} wait in the queue.
 */
public final class EventLog implements NodeEventListener, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EventLog.class);
  private static final long IDLE_PARK_NANOS = TimeUnit.SECONDS.toNanos(1);
  private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

  private final EventLogConfig config;
  private final String nodeId;
  private final String version;
  private final InstantSource clock;
  private final ConcurrentLinkedQueue<Event> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicLong lost = new AtomicLong();
  private final Counter written;
  private final Counter dropped;
  private final Counter errors;
  private final RotatingFile file;
  private volatile Thread writer;
  private volatile boolean closing;

  /** Writer thread only: an error was logged and no write has succeeded since. */
  private boolean failing;

  /**
   * @param version written in the {@code log_opened} line
   */
  public EventLog(
      EventLogConfig config,
      String nodeId,
      String version,
      MeterRegistry registry,
      InstantSource clock) {
    this.config = Objects.requireNonNull(config, "config");
    this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
    this.version = version;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.file =
        new RotatingFile(
            config.file(), config.maxBytes(), config.generations(), config.syncEvery());
    written =
        Counter.builder("sequencer.event.log.written")
            .description("Event log lines written")
            .register(registry);
    dropped =
        Counter.builder("sequencer.event.log.dropped")
            .description("Events dropped because the event log's queue was full")
            .register(registry);
    errors =
        Counter.builder("sequencer.event.log.errors")
            .description("Event log I/O errors (each loses the event it was writing)")
            .register(registry);
  }

  public EventLogConfig config() {
    return config;
  }

  /** Starts the writer thread and records a {@code log_opened} event. */
  public synchronized void start() {
    if (writer != null || closing) {
      throw new IllegalStateException("event log already started or closed");
    }
    record(EventType.LOG_OPENED, -1, -1, version);
    writer = DaemonThreads.start("event-log-" + nodeId, this::run);
    LOG.info("node {} event log: {}", nodeId, config.file());
  }

  // ---- producers: any thread, never blocks, never throws ----

  /** Stamps and queues an event; drops and counts it when the queue is full. */
  public void record(EventType type, long epoch, long index, String detail) {
    try {
      if (closing) {
        dropped.increment();
        return;
      }
      if (queued.incrementAndGet() > config.queueCapacity()) {
        queued.decrementAndGet();
        dropped.increment();
        lost.incrementAndGet();
        return;
      }
      queue.offer(new Event(clock.millis(), type, epoch, index, detail));
      Thread w = writer;
      if (w != null) {
        LockSupport.unpark(w);
      }
    } catch (RuntimeException e) {
      LOG.debug("event not recorded", e); // e.g. a clock that throws; the apply path goes on
    }
  }

  @Override
  public void onGap(long index, long fromEpoch, long toEpoch) {
    String skipped = fromEpoch + ".." + toEpoch + " (" + (toEpoch - fromEpoch + 1) + ")";
    record(
        EventType.EPOCH_GAP,
        toEpoch + 1,
        index,
        "expected epoch " + fromEpoch + ", skipped " + skipped);
  }

  @Override
  public void onStale(long index, long epoch, long expected) {
    record(EventType.STALE_EPOCH, epoch, index, "expected epoch " + expected + ", not applied");
  }

  @Override
  public void onEpochOutOfRange(long index, long epoch, long expected) {
    record(
        EventType.EPOCH_OUT_OF_RANGE,
        epoch,
        index,
        "expected epoch " + expected + ", too far ahead: skipped");
  }

  @Override
  public void onDecodeError(long index, String message) {
    record(EventType.DECODE_ERROR, -1, index, message);
  }

  @Override
  public void onVShardBehind(long index, int vshard, long epoch, OfferResult reason) {
    String why = reason == OfferResult.FULL ? "queue full" : "queue closed";
    record(EventType.VSHARD_BEHIND, epoch, index, "vshard " + vshard + " " + why);
  }

  @Override
  public void onVShardCaughtUp(long index, int vshard, long epoch) {
    record(EventType.VSHARD_CAUGHT_UP, epoch, index, "vshard " + vshard + " live again");
  }

  @Override
  public void onLeaderChange(String leaderId, long term, long appliedEpoch, long appliedIndex) {
    String leader = leaderId == null || leaderId.isEmpty() ? "none" : leaderId;
    record(
        EventType.LEADER_CHANGE, appliedEpoch, appliedIndex, "leader " + leader + " term " + term);
  }

  @Override
  public void onSnapshotTaken(long index, long term, long epoch, long bytes) {
    record(EventType.SNAPSHOT_TAKEN, epoch, index, "term " + term + ", " + bytes + " bytes");
  }

  @Override
  public void onSnapshotInstalled(long index, long term, long epoch) {
    record(EventType.SNAPSHOT_INSTALLED, epoch, index, "term " + term + ", from the leader");
  }

  // ---- the writer thread ----

  private void run() {
    while (true) {
      boolean last = closing; // read before draining: nothing offered before close is left behind
      drain();
      if (last) {
        break;
      }
      LockSupport.parkNanos(this, IDLE_PARK_NANOS);
    }
    closeFile();
  }

  private void closeFile() {
    try {
      file.close();
    } catch (IOException | RuntimeException e) {
      failed(e);
    }
  }

  /** Writes every queued event. Writer thread (tests call it in place of one). */
  void drain() {
    Event e;
    while ((e = queue.poll()) != null) {
      queued.decrementAndGet();
      write(e);
    }
  }

  private void write(Event e) {
    long missing = lost.get();
    try {
      if (missing > 0) {
        String detail = missing + " events not written (queue full or I/O error)";
        file.append(
            EventLine.format(
                new Event(clock.millis(), EventType.EVENTS_DROPPED, -1, -1, detail), nodeId));
        lost.addAndGet(-missing);
      }
      file.append(EventLine.format(e, nodeId));
      written.increment();
      if (failing) {
        failing = false;
        LOG.info("event log {} is writable again", config.file());
      }
    } catch (IOException | RuntimeException ex) {
      lost.incrementAndGet();
      failed(ex);
    }
  }

  private void failed(Exception ex) {
    errors.increment();
    file.reset();
    if (!failing) {
      failing = true;
      LOG.warn(
          "event log {}: {}; events are lost and counted in sequencer_event_log_errors_total until"
              + " it is writable again",
          config.file(),
          ex.toString());
    }
  }

  /** Writes what is queued, forces the file to disk and stops the writer. */
  @Override
  public void close() {
    Thread t;
    synchronized (this) {
      if (closing) {
        return;
      }
      closing = true;
      t = writer;
    }
    if (t == null) {
      closeFile(); // never started: only a test's direct drain() can have opened it
      return;
    }
    LockSupport.unpark(t);
    try {
      t.join(CLOSE_WAIT.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (t.isAlive()) {
      LOG.warn("event log {} writer did not stop within {}", config.file(), CLOSE_WAIT);
    }
  }
}
