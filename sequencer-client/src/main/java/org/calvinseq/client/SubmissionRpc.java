package org.calvinseq.client;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.ratis.thirdparty.io.grpc.Drainable;
import org.apache.ratis.thirdparty.io.grpc.KnownLength;
import org.apache.ratis.thirdparty.io.grpc.MethodDescriptor;
import org.apache.ratis.thirdparty.io.grpc.Status;

/**
 * The submission stream's gRPC method (docs/wire-format.md, section 14b), shared by the client and
 * the nodes, which serve it on their Raft port beside Ratis's own services: one long-lived
 * bidirectional stream per client and node, whose messages are msgpack bytes, not protobuf.
 */
public final class SubmissionRpc {
  private SubmissionRpc() {}

  /** The service's name on the wire. */
  public static final String SERVICE = "calvinseq.Submissions";

  /** A message's bytes as they are: no protobuf, and no copy on the sending side. */
  private static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new Bytes(value);
        }

        @Override
        public byte[] parse(InputStream in) {
          try {
            return in.readAllBytes();
          } catch (IOException e) {
            throw Status.INTERNAL
                .withDescription("reading a message failed: " + e)
                .asRuntimeException();
          }
        }
      };

  /** {@code calvinseq.Submissions/Submit}: submissions in, answers out, matched by request id. */
  public static final MethodDescriptor<byte[], byte[]> SUBMIT =
      MethodDescriptor.<byte[], byte[]>newBuilder()
          .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
          .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Submit"))
          .setRequestMarshaller(BYTES)
          .setResponseMarshaller(BYTES)
          .build();

  /** gRPC writes a known-length, drainable stream straight into its frame. */
  private static final class Bytes extends ByteArrayInputStream implements KnownLength, Drainable {
    Bytes(byte[] b) {
      super(b);
    }

    @Override
    public int drainTo(OutputStream target) throws IOException {
      int n = count - pos;
      target.write(buf, pos, n);
      pos = count;
      return n;
    }
  }
}
