package org.calvinseq.client;

import org.apache.ratis.thirdparty.io.grpc.Status;
import org.apache.ratis.thirdparty.io.grpc.StatusRuntimeException;

/** Recognises the gRPC failures that are answers rather than a broken connection. */
final class GrpcErrors {
  private GrpcErrors() {}

  /**
   * The description of the error a peer's gRPC layer gives a message over its size limit ({@code
   * RESOURCE_EXHAUSTED: gRPC message exceeds maximum size N: M}), found anywhere in {@code t}'s
   * causes; null when there is none. Ratis reports it as an I/O error, which would be retried to
   * every peer until the call timeout though every attempt must fail the same way.
   */
  static String messageTooLarge(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof StatusRuntimeException s
          && s.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED
          && s.getStatus().getDescription() != null
          && s.getStatus().getDescription().contains("exceeds maximum size")) {
        return s.getStatus().getDescription();
      }
    }
    return null;
  }
}
