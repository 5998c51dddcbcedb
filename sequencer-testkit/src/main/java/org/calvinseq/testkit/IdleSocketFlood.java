package org.calvinseq.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.calvinseq.core.concurrent.DaemonThreads;

/**
 * A fault for tests of an admin endpoint (or any HTTP port): one bad local client that holds {@code
 * sockets} connections to a port open without ever sending a byte, and opens a new one as soon as
 * the server closes one. One thread, one selector; {@link #close()} stops the thread and closes
 * every socket.
 */
public final class IdleSocketFlood implements AutoCloseable {
  private final InetSocketAddress target;
  private final int sockets;
  private final Selector selector;
  private final Thread thread;
  private final AtomicLong opened = new AtomicLong();
  private final AtomicInteger connected = new AtomicInteger();
  private final AtomicInteger maxConnected = new AtomicInteger();
  private volatile boolean running = true;
  private volatile Throwable failure;

  private IdleSocketFlood(int port, int sockets) throws IOException {
    this.target = new InetSocketAddress("127.0.0.1", port);
    this.sockets = sockets;
    this.selector = Selector.open();
    this.thread = DaemonThreads.newThread("idle-socket-flood", this::run);
  }

  /** Starts flooding {@code 127.0.0.1:port} with {@code sockets} idle connections. */
  public static IdleSocketFlood start(int port, int sockets) throws IOException {
    IdleSocketFlood flood = new IdleSocketFlood(port, sockets);
    flood.thread.start();
    return flood;
  }

  /** Connections opened so far, reopenings included. */
  public long opened() {
    return opened.get();
  }

  /** The most connections that were established at once. */
  public int maxConnected() {
    return maxConnected.get();
  }

  private void run() {
    ByteBuffer sink = ByteBuffer.allocate(512);
    try {
      for (int i = 0; i < sockets; i++) {
        open();
      }
      while (running) {
        selector.select(100);
        for (SelectionKey key : selector.selectedKeys()) {
          SocketChannel channel = (SocketChannel) key.channel();
          boolean wasConnected = key.attachment() != null;
          try {
            if (key.isConnectable()) {
              channel.finishConnect();
              key.attach(Boolean.TRUE);
              maxConnected.accumulateAndGet(connected.incrementAndGet(), Math::max);
              key.interestOps(SelectionKey.OP_READ);
            } else if (key.isReadable()) {
              sink.clear();
              if (channel.read(sink) < 0) {
                reopen(key, wasConnected);
              }
            }
          } catch (IOException e) {
            reopen(key, wasConnected); // refused or reset: the server closed it
          }
        }
        selector.selectedKeys().clear();
      }
    } catch (IOException | RuntimeException e) {
      failure = e;
    }
  }

  private void reopen(SelectionKey key, boolean wasConnected) throws IOException {
    key.cancel();
    key.channel().close();
    if (wasConnected) {
      connected.decrementAndGet();
    }
    if (running) {
      open();
    }
  }

  private void open() throws IOException {
    SocketChannel channel = SocketChannel.open();
    channel.configureBlocking(false);
    channel.setOption(StandardSocketOptions.SO_LINGER, 0); // no TIME_WAIT pile-up on our side
    opened.incrementAndGet();
    if (channel.connect(target)) {
      channel.register(selector, SelectionKey.OP_READ, Boolean.TRUE);
      maxConnected.accumulateAndGet(connected.incrementAndGet(), Math::max);
    } else {
      channel.register(selector, SelectionKey.OP_CONNECT);
    }
  }

  /** Stops the flood and closes every socket; fails if the flooding thread failed. */
  @Override
  public void close() throws Exception {
    running = false;
    selector.wakeup();
    thread.join(10_000);
    for (SelectionKey key : selector.keys()) {
      key.channel().close();
    }
    selector.close();
    if (thread.isAlive()) {
      throw new IllegalStateException("the flood thread did not stop");
    }
    if (failure != null) {
      throw new IllegalStateException("the flood thread failed", failure);
    }
  }

  /**
   * One probe as kubelet or Prometheus makes it: a fresh connection, one request, {@code
   * Connection: close}, everything within {@code timeout}.
   *
   * @return the status code
   * @throws IOException if the connection is refused, closed without an answer or too slow
   */
  public static int probe(int port, String path, Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), (int) timeout.toMillis());
      socket.setSoTimeout((int) timeout.toMillis());
      OutputStream out = socket.getOutputStream();
      out.write(
          ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] answer = in.readAllBytes();
      if (System.nanoTime() > deadline) {
        throw new IOException("answer took longer than " + timeout);
      }
      String head = new String(answer, 0, Math.min(answer.length, 16), StandardCharsets.US_ASCII);
      if (!head.startsWith("HTTP/1.1 ") || head.length() < 12) {
        throw new IOException("closed without an answer (" + answer.length + " bytes)");
      }
      return Integer.parseInt(head.substring(9, 12));
    }
  }
}
