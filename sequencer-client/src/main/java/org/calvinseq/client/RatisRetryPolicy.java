package org.calvinseq.client;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import org.apache.ratis.client.retry.ClientRetryEvent;
import org.apache.ratis.client.retry.RequestTypeDependentRetryPolicy;
import org.apache.ratis.proto.RaftProtos.RaftClientRequestProto.TypeCase;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.LeaderSteppingDownException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.util.TimeDuration;

/**
 * The retry policy handed to Ratis for proposals: {@link RetryBackoff} between attempts, and no
 * retry once the call has lasted its total timeout (measured by Ratis from the moment the request
 * was created), so a call without a quorum ends instead of retrying forever.
 *
 * <p>Ratis retries a request with the same client id and call id, so a retry of a proposal that was
 * already committed is answered from the servers' retry cache instead of being appended again.
 *
 * <p>It also reports each failed attempt to {@link PeerHealth}: a "not leader" answer means the
 * peer is up; no answer means it is not.
 */
final class RatisRetryPolicy implements RetryPolicy {
  private final RetryPolicy deadlines;
  private final RetryBackoff backoff;
  private final RandomGenerator random;
  private final PeerHealth health;
  private final int maxAttempts;

  RatisRetryPolicy(
      RetryBackoff backoff,
      Duration total,
      int maxAttempts,
      RandomGenerator random,
      PeerHealth health) {
    this.backoff = backoff;
    this.random = random;
    this.health = health;
    this.maxAttempts = maxAttempts;
    RetryPolicy base = this::backoffAction;
    TimeDuration timeout = TimeDuration.valueOf(total.toMillis(), TimeUnit.MILLISECONDS);
    RequestTypeDependentRetryPolicy.Builder b = RequestTypeDependentRetryPolicy.newBuilder();
    for (TypeCase t : TypeCase.values()) {
      if (t != TypeCase.TYPE_NOT_SET) {
        b.setRetryPolicy(t, base).setTimeout(t, timeout);
      }
    }
    this.deadlines = b.build();
  }

  @Override
  public Action handleAttemptFailure(Event event) {
    if (event instanceof ClientRetryEvent ce) {
      if (GrpcErrors.messageTooLarge(ce.getCause()) != null) {
        // The peer answered: it takes no message that large, and neither will the others.
        health.success(ce.getRequest() == null ? null : ce.getRequest().getServerId());
        return NO_RETRY_ACTION;
      }
      observe(ce);
      return deadlines.handleAttemptFailure(event);
    }
    return backoffAction(event);
  }

  private Action backoffAction(Event event) {
    if (event.getAttemptCount() >= maxAttempts) {
      return NO_RETRY_ACTION;
    }
    long nanos = backoff.delayNanos(Math.max(1, event.getAttemptCount()), random);
    return () -> TimeDuration.valueOf(nanos, TimeUnit.NANOSECONDS);
  }

  private void observe(ClientRetryEvent ce) {
    Throwable cause = ce.getCause();
    var peer = ce.getRequest() == null ? null : ce.getRequest().getServerId();
    if (cause instanceof NotLeaderException
        || cause instanceof LeaderNotReadyException
        || cause instanceof LeaderSteppingDownException) {
      health.success(peer);
      if (cause instanceof NotLeaderException nle && nle.getSuggestedLeader() != null) {
        health.suggested(nle.getSuggestedLeader().getId());
      }
    } else {
      health.failure(peer, cause);
    }
  }

  @Override
  public String toString() {
    return "RatisRetryPolicy{" + backoff + ", maxAttempts=" + maxAttempts + "}";
  }
}
