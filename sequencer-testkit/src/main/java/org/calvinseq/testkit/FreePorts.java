package org.calvinseq.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for servers that a test (or {@code local-cluster}) starts later, chosen below the kernel's
 * ephemeral port range. A port the kernel handed out for a bind to port 0 and that was closed again
 * can be handed out once more, and every outgoing connection takes a local port from that range
 * too; so a port chosen there and bound seconds later (a node process starting) was sometimes taken
 * meanwhile ("Address already in use"). Below the range only an explicit bind can take it.
 */
public final class FreePorts {
  private static final int LOWEST = 10_000;
  private static final int DEFAULT_EPHEMERAL_LOW = 32_768;

  private FreePorts() {}

  /** A port of {@code host} that nothing listens on. */
  public static int pick(String host) throws IOException {
    return pick(host, 1)[0];
  }

  /** {@code n} distinct ports of {@code host} that nothing listens on, all held until chosen. */
  public static int[] pick(String host, int n) throws IOException {
    int high = ephemeralLow();
    int[] ports = new int[n];
    List<ServerSocket> held = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        ServerSocket s = bindSome(host, high);
        held.add(s);
        ports[i] = s.getLocalPort();
      }
    } finally {
      for (ServerSocket s : held) {
        s.close();
      }
    }
    return ports;
  }

  private static ServerSocket bindSome(String host, int high) throws IOException {
    IOException last = null;
    for (int attempt = 0; attempt < 200; attempt++) {
      int port = ThreadLocalRandom.current().nextInt(LOWEST, high);
      ServerSocket s = new ServerSocket();
      try {
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(host, port));
        return s;
      } catch (IOException e) {
        s.close();
        last = e;
      }
    }
    throw new IOException("no free port on " + host + " in [" + LOWEST + ", " + high + ")", last);
  }

  /** The lower bound of the kernel's ephemeral range (Linux), or 32768 where it cannot be read. */
  static int ephemeralLow() {
    try {
      String[] range =
          Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+");
      int low = Integer.parseInt(range[0]);
      return low > LOWEST + 1000 ? low : DEFAULT_EPHEMERAL_LOW;
    } catch (IOException | RuntimeException e) {
      return DEFAULT_EPHEMERAL_LOW;
    }
  }
}
