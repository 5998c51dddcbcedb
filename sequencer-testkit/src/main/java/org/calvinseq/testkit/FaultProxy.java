package org.calvinseq.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiPredicate;
import org.calvinseq.core.concurrent.DaemonThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP proxy in front of one node's Raft port that can cut and slow that node's traffic: the
 * peers' addresses point at proxies, the nodes listen behind them.
 *
 * <p>Cutting a node off needs to know who opened each connection, and every connection arrives from
 * 127.0.0.1. The proxy recognises a peer by the first Raft request it sends: every server-to-server
 * request (append entries, vote, snapshot, read index, leader election) starts with a {@code
 * RaftRpcRequestProto} whose fields 1 and 2 are the requestor's and the receiver's peer ids, and
 * Ratis sends it uncompressed. The proxy scans the first bytes of each connection for {@code 0x0a
 * len requestor 0x12 len receiver}; a connection whose source is never recognised (a client) is
 * judged by its destination only. Bytes of a connection are checked before they are forwarded, so a
 * cut peer's first request never reaches the node.
 *
 * <p>Whether a connection may carry traffic is decided by a shared rule, {@code allowed(source,
 * destination)} with a null source for unrecognised connections; {@link #enforce()} closes (with a
 * TCP reset) every connection the rule no longer allows, and new ones are checked as they arrive.
 */
public final class FaultProxy implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FaultProxy.class);
  private static final int SNIFF_LIMIT = 64 * 1024;

  private final String nodeId;
  private final InetSocketAddress target;
  private final List<byte[]> sourcePatterns = new ArrayList<>();
  private final List<String> sourceIds = new ArrayList<>();
  private final BiPredicate<String, String> allowed;
  private final ServerSocket server;
  private final Set<Link> links = ConcurrentHashMap.newKeySet();
  private final AtomicLong bytesToNode = new AtomicLong();
  private final Thread acceptor;
  private volatile long throttleBytesPerSecond;
  private volatile boolean closed;

  /**
   * Listens on an ephemeral loopback port and forwards to {@code target}.
   *
   * @param nodeId the peer id of the node behind this proxy
   * @param peerIds every peer id of the cluster, to recognise the sources of connections
   * @param allowed {@code (sourceId or null, nodeId) -> may this connection carry traffic}
   */
  public FaultProxy(
      String nodeId,
      InetSocketAddress target,
      Iterable<String> peerIds,
      BiPredicate<String, String> allowed)
      throws IOException {
    this.nodeId = nodeId;
    this.target = target;
    this.allowed = allowed;
    byte[] self = nodeId.getBytes(StandardCharsets.UTF_8);
    for (String p : peerIds) {
      if (!p.equals(nodeId)) {
        sourceIds.add(p);
        sourcePatterns.add(requestHeader(p.getBytes(StandardCharsets.UTF_8), self));
      }
    }
    this.server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    this.acceptor = DaemonThreads.start("fault-proxy-" + nodeId, this::acceptLoop);
  }

  /** {@code 0x0a len requestor 0x12 len receiver}: the start of a RaftRpcRequestProto. */
  static byte[] requestHeader(byte[] requestor, byte[] receiver) {
    if (requestor.length > 127 || receiver.length > 127) {
      throw new IllegalArgumentException("peer ids longer than 127 bytes are not recognised");
    }
    byte[] p = new byte[4 + requestor.length + receiver.length];
    p[0] = 0x0a;
    p[1] = (byte) requestor.length;
    System.arraycopy(requestor, 0, p, 2, requestor.length);
    p[2 + requestor.length] = 0x12;
    p[3 + requestor.length] = (byte) receiver.length;
    System.arraycopy(receiver, 0, p, 4 + requestor.length, receiver.length);
    return p;
  }

  /** The port the peers dial. */
  public int port() {
    return server.getLocalPort();
  }

  public String nodeId() {
    return nodeId;
  }

  /** Bytes forwarded toward the node since the proxy started. */
  public long bytesToNode() {
    return bytesToNode.get();
  }

  /** Open connections. */
  public int connections() {
    return links.size();
  }

  /**
   * The open connections, each with who opened it (a peer id, or null when not recognised) and the
   * bytes it has carried toward the node.
   */
  public List<LinkStats> links() {
    List<LinkStats> out = new ArrayList<>();
    for (Link l : links) {
      out.add(new LinkStats(l.source, l.bytes.get()));
    }
    return out;
  }

  /**
   * One open connection.
   *
   * @param source the peer that opened it, or null when not recognised (a client)
   * @param bytesToNode bytes it carried toward the node
   */
  public record LinkStats(String source, long bytesToNode) {}

  /**
   * Limits the bandwidth toward the node (each connection on its own) to {@code bytesPerSecond}; 0
   * removes the limit.
   */
  public void throttle(long bytesPerSecond) {
    if (bytesPerSecond < 0) {
      throw new IllegalArgumentException("bytesPerSecond must be >= 0");
    }
    this.throttleBytesPerSecond = bytesPerSecond;
  }

  /** Closes every connection the rule no longer allows. */
  public void enforce() {
    for (Link l : links) {
      if (!allowed.test(l.source, nodeId)) {
        l.cut("cut: " + (l.source == null ? "unrecognised source" : l.source) + " -> " + nodeId);
      }
    }
  }

  private void acceptLoop() {
    while (!closed) {
      Socket in;
      try {
        in = server.accept();
      } catch (IOException e) {
        if (!closed) {
          LOG.warn("proxy for {} stopped accepting", nodeId, e);
        }
        return;
      }
      if (!allowed.test(null, nodeId)) {
        reset(in);
        continue;
      }
      Socket out = new Socket();
      try {
        in.setTcpNoDelay(true);
        out.setTcpNoDelay(true);
        out.connect(target, 2000);
      } catch (IOException e) {
        // The node is down: the dialer sees a closed connection, as it would without the proxy.
        reset(in);
        closeQuietly(out);
        continue;
      }
      Link l = new Link(in, out);
      links.add(l);
      l.start();
    }
  }

  @Override
  public void close() {
    closed = true;
    closeQuietly(server);
    for (Link l : links) {
      l.cut("proxy closed");
    }
    try {
      acceptor.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void reset(Socket s) {
    try {
      s.setSoLinger(true, 0);
    } catch (SocketException e) {
      // closing is all that is left to do
    }
    closeQuietly(s);
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      // nothing to do
    }
  }

  /** One proxied connection: a pump in each direction. */
  private final class Link {
    private final Socket in;
    private final Socket out;
    private volatile String source;
    private volatile boolean cut;
    private final AtomicLong bytes = new AtomicLong();
    private final java.util.concurrent.atomic.AtomicInteger directionsDone =
        new java.util.concurrent.atomic.AtomicInteger();
    private byte[] sniffed = new byte[0];

    Link(Socket in, Socket out) {
      this.in = in;
      this.out = out;
    }

    void start() {
      String name = "fault-proxy-" + nodeId + "-" + in.getPort();
      DaemonThreads.start(name + "-up", this::toNode);
      DaemonThreads.start(name + "-down", this::fromNode);
    }

    /**
     * Client to node. Streams are not closed here: closing a socket's stream closes the socket, and
     * the other direction may still be carrying the node's last replies after a half-close.
     */
    private void toNode() {
      byte[] buf = new byte[16 * 1024];
      try {
        InputStream is = in.getInputStream();
        OutputStream os = out.getOutputStream();
        while (true) {
          long limit = throttleBytesPerSecond;
          int max = limit > 0 ? (int) Math.max(1, Math.min(buf.length, limit / 20)) : buf.length;
          int n = is.read(buf, 0, max);
          if (n < 0) {
            break;
          }
          if (sniffed != null) {
            sniff(buf, n);
          }
          if (cut || !allowed.test(source, nodeId)) {
            cut("cut: " + (source == null ? "unrecognised source" : source) + " -> " + nodeId);
            return;
          }
          bytesToNode.addAndGet(n);
          bytes.addAndGet(n);
          os.write(buf, 0, n);
          os.flush();
          if (limit > 0) {
            TimeUnit.NANOSECONDS.sleep(n * 1_000_000_000L / limit);
          }
        }
        out.shutdownOutput();
        finished();
      } catch (IOException e) {
        cut(null);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        cut(null);
      }
    }

    /** Node to client. */
    private void fromNode() {
      byte[] buf = new byte[16 * 1024];
      try {
        InputStream is = out.getInputStream();
        OutputStream os = in.getOutputStream();
        int n;
        while ((n = is.read(buf)) >= 0) {
          if (cut) {
            return;
          }
          os.write(buf, 0, n);
          os.flush();
        }
        in.shutdownOutput();
        finished();
      } catch (IOException e) {
        cut(null);
      }
    }

    /** One direction reached its end; when both have, the connection is done. */
    private void finished() {
      if (directionsDone.incrementAndGet() == 2) {
        links.remove(this);
        closeQuietly(in);
        closeQuietly(out);
      }
    }

    /** Looks for a requestor id among the first bytes; gives up after {@link #SNIFF_LIMIT}. */
    private void sniff(byte[] buf, int n) {
      byte[] all = new byte[sniffed.length + n];
      System.arraycopy(sniffed, 0, all, 0, sniffed.length);
      System.arraycopy(buf, 0, all, sniffed.length, n);
      for (int i = 0; i < sourcePatterns.size(); i++) {
        if (indexOf(all, sourcePatterns.get(i)) >= 0) {
          source = sourceIds.get(i);
          sniffed = null;
          LOG.debug("proxy for {}: connection from port {} is {}", nodeId, in.getPort(), source);
          return;
        }
      }
      sniffed = all.length >= SNIFF_LIMIT ? null : all;
    }

    void cut(String why) {
      if (!links.remove(this) && cut) {
        return;
      }
      cut = true;
      if (why != null) {
        LOG.debug("proxy for {}: {}", nodeId, why);
      }
      reset(in);
      reset(out);
    }
  }

  static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
