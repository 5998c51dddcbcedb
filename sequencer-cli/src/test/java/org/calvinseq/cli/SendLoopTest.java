package org.calvinseq.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

class SendLoopTest {
  /** A sender with steps due every {@code interval} from {@code first}, and room for some. */
  private static final class Fake implements SendLoop.Sender {
    final long interval;
    long due;
    final AtomicInteger room;
    final List<Long> sentAt = Collections.synchronizedList(new ArrayList<>());

    Fake(long first, long interval, int room) {
      this.due = first;
      this.interval = interval;
      this.room = new AtomicInteger(room);
    }

    @Override
    public long waitNanos(long now) {
      return interval == 0 ? 0 : due - now;
    }

    @Override
    public boolean hasRoom() {
      return room.get() > 0;
    }

    @Override
    public void send(long now) {
      room.decrementAndGet();
      sentAt.add(now);
      due += interval;
    }
  }

  @Test
  void aScanSendsEveryDueStepThatFitsAndSaysWhenTheNextFallsDue() {
    Fake behind = new Fake(0, 10, 100); // steps due at 0, 10, 20, 30: three due at 25
    Fake ahead = new Fake(40, 10, 100);
    Fake full = new Fake(5, 10, 1); // due at 5 and 15; room for one
    SendLoop.Scan scan = SendLoop.sendDue(List.of(behind, ahead, full), 25, () -> false);
    assertThat(behind.sentAt).hasSize(3);
    assertThat(ahead.sentAt).isEmpty();
    assertThat(full.sentAt).hasSize(1);
    assertThat(scan.blocked()).as("full's step due at 15 did not fit").isTrue();
    assertThat(scan.nextDue()).as("behind's next step, at 30").isEqualTo(30);

    SendLoop.Scan none = SendLoop.sendDue(List.of(ahead), 25, () -> false);
    assertThat(none).isEqualTo(new SendLoop.Scan(40, false));
  }

  @Test
  void anUnpacedSenderSendsUntilItsLimitAndAStopEndsAScan() {
    Fake unpaced = new Fake(0, 0, 3);
    SendLoop.Scan scan = SendLoop.sendDue(List.of(unpaced), 7, () -> false);
    assertThat(unpaced.sentAt).containsExactly(7L, 7L, 7L);
    assertThat(scan).isEqualTo(new SendLoop.Scan(Long.MAX_VALUE, true));

    Fake stopped = new Fake(0, 0, 3);
    SendLoop.sendDue(List.of(stopped), 7, () -> true);
    assertThat(stopped.sentAt).isEmpty();
  }

  @Test
  void withATickAThreadWakesAtMostOncePerTickAndRetriesABlockedStepThen() {
    long tick = 1_000;
    // The next step is due sooner than a tick: the thread still sleeps a tick.
    assertThat(SendLoop.wakeAt(new SendLoop.Scan(5_100, false), 5_000, tick)).isEqualTo(6_000);
    // Due later than a tick: it sleeps until then.
    assertThat(SendLoop.wakeAt(new SendLoop.Scan(9_000, false), 5_000, tick)).isEqualTo(9_000);
    // A due step that did not fit is retried a tick later, not at the next due time.
    SendLoop.Scan blocked = new SendLoop.Scan(9_000, true);
    assertThat(SendLoop.wakeAt(blocked, 5_000, tick)).isEqualTo(6_000);
    assertThat(SendLoop.awaitsAnswer(blocked, tick)).isFalse();
    // Without a tick (a thread per sender, or unpaced) a thread sleeps until its next step, and
    // one with a blocked step until an answer.
    assertThat(SendLoop.wakeAt(new SendLoop.Scan(5_100, false), 5_000, 0)).isEqualTo(5_100);
    assertThat(SendLoop.awaitsAnswer(blocked, 0)).isTrue();
    assertThat(SendLoop.awaitsAnswer(new SendLoop.Scan(Long.MAX_VALUE, true), 0)).isTrue();
    assertThat(SendLoop.sleepNanos(Long.MAX_VALUE, -5)).isEqualTo(SendLoop.MAX_SLEEP_NANOS);
    assertThat(SendLoop.sleepNanos(300, 100)).isEqualTo(200);
  }

  @Test
  void anAnswerWakesAThreadThatWaitsForRoom() throws Exception {
    SendLoop.Waker waker = new SendLoop.Waker();
    Fake full = new Fake(0, 0, 0);
    CountDownLatch returned = new CountDownLatch(1);
    Thread waiter =
        new Thread(
            () -> {
              waker.awaitAnswer(List.of(full), 0, TimeUnit.MINUTES.toNanos(5));
              returned.countDown();
            });
    waiter.start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (waiter.getState() != Thread.State.TIMED_WAITING && System.nanoTime() < deadline) {
        Thread.sleep(1);
      }
      assertThat(returned.getCount()).as("no room: the waiter parks").isEqualTo(1);
      full.room.incrementAndGet();
      waker.answered();
      assertThat(returned.await(10, TimeUnit.SECONDS)).as("woken by the answer").isTrue();
    } finally {
      LockSupport.unpark(waiter);
      waiter.join(TimeUnit.SECONDS.toMillis(10));
    }
    assertThat(waiter.isAlive()).isFalse();
  }

  @Test
  void aThreadRunsItsSendersAndAnswersFreeTheirRoom() throws Exception {
    SendLoop.Waker waker = new SendLoop.Waker();
    Fake a = new Fake(0, 0, 2);
    Fake b = new Fake(0, 0, 2);
    AtomicBoolean stop = new AtomicBoolean();
    Thread loop = new Thread(() -> SendLoop.run(List.of(a, b), 0, waker, stop::get), "send-loop");
    loop.start();
    try {
      // Each answer frees one step's room; the loop sends into it, so sends follow answers.
      for (int answers = 0; answers < 20; answers++) {
        awaitSends(a, b, 4 + answers);
        (answers % 2 == 0 ? a : b).room.incrementAndGet();
        waker.answered();
      }
      awaitSends(a, b, 24);
      assertThat(a.sentAt.size() + b.sentAt.size()).isEqualTo(24);
    } finally {
      stop.set(true);
      loop.join(TimeUnit.SECONDS.toMillis(10));
    }
    assertThat(loop.isAlive()).isFalse();
  }

  private static void awaitSends(Fake a, Fake b, int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (sends(a, b) < n && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    assertThat(sends(a, b)).isEqualTo(n);
  }

  private static int sends(Fake a, Fake b) {
    return a.sentAt.size() + b.sentAt.size();
  }
}
