package org.calvinseq.server.inbox;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.calvinseq.core.concurrent.DaemonThreads;
import org.calvinseq.core.protocol.BatchReceipt;

/**
 * The closer thread of a {@link LeaderInbox}: takes each epoch as it becomes due, hands it (its
 * batch, and the runs to encode the batch from) to a proposer (on the leader, whatever appends it
 * to the Raft log) and reports the proposer's answer back to the epoch, on {@code completions}, so
 * that the submitters' futures never run on the thread that answered (the apply thread, on a
 * leader). Ends when the inbox closes or {@link #close()} is called; epochs already proposed still
 * get their outcome.
 */
public final class EpochCloser implements AutoCloseable {
  /** How long one wait of the loop lasts at most, so that a stop is noticed without a signal. */
  private static final Duration MAX_WAIT = Duration.ofSeconds(1);

  private final LeaderInbox inbox;
  private final Function<ClosedEpoch, CompletableFuture<BatchReceipt>> proposer;
  private final Executor completions;
  private final Thread thread;
  private volatile boolean stopped;

  private EpochCloser(
      LeaderInbox inbox,
      Function<ClosedEpoch, CompletableFuture<BatchReceipt>> proposer,
      Executor completions,
      String name) {
    this.inbox = inbox;
    this.proposer = proposer;
    this.completions = completions;
    this.thread = DaemonThreads.newThread(name, this::run);
  }

  /**
   * Starts a daemon thread named {@code name} that closes {@code inbox}'s epochs and proposes them
   * through {@code proposer}; outcomes are reported on {@code completions}. A proposer that throws
   * fails the epoch.
   */
  public static EpochCloser start(
      LeaderInbox inbox,
      Function<ClosedEpoch, CompletableFuture<BatchReceipt>> proposer,
      Executor completions,
      String name) {
    EpochCloser c =
        new EpochCloser(
            Objects.requireNonNull(inbox, "inbox"),
            Objects.requireNonNull(proposer, "proposer"),
            Objects.requireNonNull(completions, "completions"),
            name);
    c.thread.start();
    return c;
  }

  private void run() {
    while (!stopped) {
      ClosedEpoch epoch;
      try {
        epoch = inbox.awaitEpoch(MAX_WAIT);
      } catch (InterruptedException e) {
        return;
      }
      if (epoch == null) {
        if (inbox.isClosed()) {
          return;
        }
        continue;
      }
      propose(epoch);
    }
  }

  private void propose(ClosedEpoch epoch) {
    CompletableFuture<BatchReceipt> answer;
    try {
      answer = proposer.apply(epoch);
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    answer.whenCompleteAsync(
        (receipt, failure) -> {
          if (failure != null) {
            epoch.fail(unwrap(failure));
          } else {
            epoch.complete(receipt);
          }
        },
        this::complete);
  }

  /** On the completions executor; on the calling thread if it refuses, so no outcome is lost. */
  private void complete(Runnable report) {
    try {
      completions.execute(report);
    } catch (RejectedExecutionException e) {
      report.run();
    }
  }

  private static Throwable unwrap(Throwable t) {
    return t instanceof java.util.concurrent.CompletionException && t.getCause() != null
        ? t.getCause()
        : t;
  }

  /** Whether the thread is still running. */
  public boolean isAlive() {
    return thread.isAlive();
  }

  /**
   * Waits up to {@code timeout} for the thread to end (after the inbox closed, or {@link
   * #close()}).
   *
   * @return whether it ended
   */
  public boolean awaitStopped(Duration timeout) throws InterruptedException {
    thread.join(Math.max(1, timeout.toMillis()));
    return !thread.isAlive();
  }

  /** Stops the thread (it does not close the inbox) and waits up to 5 s for it to end. */
  @Override
  public void close() {
    stopped = true;
    thread.interrupt();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
