package org.calvinseq.it.fault;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.calvinseq.testkit.FaultProxy;
import org.calvinseq.testkit.LocalCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The proxy against an echo server: it forwards, recognises a peer by the Raft request header it
 * sends, cuts exactly what the rule forbids, and throttles.
 */
class FaultProxyTest {
  private final Set<String> isolated = ConcurrentHashMap.newKeySet();
  private ServerSocket echo;
  private Thread echoThread;
  private FaultProxy proxy;

  @BeforeEach
  void startEcho() throws IOException {
    echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    echoThread =
        new Thread(
            () -> {
              while (!echo.isClosed()) {
                try {
                  Socket s = echo.accept();
                  Thread t =
                      new Thread(
                          () -> {
                            try (s;
                                InputStream in = s.getInputStream();
                                OutputStream out = s.getOutputStream()) {
                              in.transferTo(out);
                            } catch (IOException e) {
                              // the proxy cut it
                            }
                          });
                  t.setDaemon(true);
                  t.start();
                } catch (IOException e) {
                  return;
                }
              }
            });
    echoThread.setDaemon(true);
    echoThread.start();
    proxy =
        new FaultProxy(
            "n1",
            new InetSocketAddress(InetAddress.getLoopbackAddress(), echo.getLocalPort()),
            List.of("n1", "n2", "n3"),
            (src, dst) -> !isolated.contains(dst) && (src == null || !isolated.contains(src)));
  }

  @AfterEach
  void stop() throws Exception {
    proxy.close();
    echo.close();
    echoThread.join(2000);
  }

  private Socket connect() throws IOException {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port());
    s.setSoTimeout(5000);
    return s;
  }

  private static String roundTrip(Socket s, String text) throws IOException {
    byte[] b = text.getBytes(StandardCharsets.ISO_8859_1);
    s.getOutputStream().write(b);
    s.getOutputStream().flush();
    return new String(s.getInputStream().readNBytes(b.length), StandardCharsets.ISO_8859_1);
  }

  /** What a RequestVote from {@code from} to n1 starts with, after some HTTP/2 noise. */
  private static String requestFrom(String from) {
    return "PRI * HTTP/2.0 ... \u0000\u0000\u0001\n\u0010\n\u0002" + from + "\u0012\u0002n1\u001a";
  }

  private static boolean isCut(Socket s) {
    try {
      s.getOutputStream().write('x');
      s.getOutputStream().flush();
      return s.getInputStream().read() < 0;
    } catch (IOException e) {
      return true;
    }
  }

  @Test
  void forwardsBothWays() throws IOException {
    try (Socket s = connect()) {
      assertThat(roundTrip(s, "hello")).isEqualTo("hello");
      assertThat(roundTrip(s, requestFrom("n2"))).isEqualTo(requestFrom("n2"));
    }
    assertThat(proxy.bytesToNode()).isGreaterThan(5);
  }

  @Test
  void cutsAnIsolatedPeersConnectionsAndNoOther() throws IOException {
    try (Socket fromN2 = connect();
        Socket fromN3 = connect();
        Socket client = connect()) {
      roundTrip(fromN2, requestFrom("n2"));
      roundTrip(fromN3, requestFrom("n3"));
      roundTrip(client, "client request");
      isolated.add("n2");
      proxy.enforce();
      assertThat(isCut(fromN2)).as("n2's connection").isTrue();
      assertThat(roundTrip(fromN3, "still")).isEqualTo("still");
      assertThat(roundTrip(client, "still")).isEqualTo("still");
      // A new connection from n2 is cut at its first request, before the request gets through.
      try (Socket again = connect()) {
        long before = proxy.bytesToNode();
        again.getOutputStream().write(requestFrom("n2").getBytes(StandardCharsets.ISO_8859_1));
        again.getOutputStream().flush();
        assertThat(isCut(again)).isTrue();
        assertThat(proxy.bytesToNode()).isEqualTo(before);
      }
    }
  }

  @Test
  void refusesEverythingWhileItsNodeIsIsolatedAndHeals() throws IOException {
    try (Socket s = connect()) {
      roundTrip(s, "x");
      isolated.add("n1");
      proxy.enforce();
      assertThat(isCut(s)).isTrue();
    }
    try (Socket s = connect()) {
      assertThat(isCut(s)).as("a new connection to the isolated node").isTrue();
    }
    isolated.clear();
    try (Socket s = connect()) {
      assertThat(roundTrip(s, "back")).isEqualTo("back");
    }
  }

  @Test
  void throttlesTowardTheNode() throws IOException {
    proxy.throttle(20_000);
    byte[] chunk = new byte[10_000];
    try (Socket s = connect()) {
      long start = System.nanoTime();
      s.getOutputStream().write(chunk);
      s.getOutputStream().flush();
      s.getInputStream().readNBytes(chunk.length);
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .as("10 kB at 20 kB/s")
          .isGreaterThan(Duration.ofMillis(350));
    }
    proxy.throttle(0);
    LocalCluster.await(Duration.ofSeconds(5), () -> proxy.connections() == 0, "the link to close");
  }
}
