package org.calvinseq.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import org.apache.ratis.protocol.exceptions.RaftRetryFailureException;
import org.apache.ratis.thirdparty.io.grpc.Status;
import org.junit.jupiter.api.Test;

class GrpcErrorsTest {
  private static final String TOO_LARGE = "gRPC message exceeds maximum size 7340032: 10000273";

  @Test
  void aMessageOverThePeersLimitIsFoundAmongTheCauses() {
    Throwable t =
        new IOException(Status.RESOURCE_EXHAUSTED.withDescription(TOO_LARGE).asRuntimeException());
    assertThat(GrpcErrors.messageTooLarge(t)).isEqualTo(TOO_LARGE);
    assertThat(GrpcErrors.messageTooLarge(new RaftRetryFailureException(null, 3, null, t)))
        .isEqualTo(TOO_LARGE);
  }

  @Test
  void otherFailuresAreNot() {
    assertThat(GrpcErrors.messageTooLarge(new IOException("connection refused"))).isNull();
    assertThat(
            GrpcErrors.messageTooLarge(
                Status.UNAVAILABLE.withDescription(TOO_LARGE).asRuntimeException()))
        .isNull();
    assertThat(
            GrpcErrors.messageTooLarge(
                Status.RESOURCE_EXHAUSTED.withDescription("quota").asRuntimeException()))
        .isNull();
    assertThat(GrpcErrors.messageTooLarge(null)).isNull();
  }
}
