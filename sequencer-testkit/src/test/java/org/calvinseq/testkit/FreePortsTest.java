package org.calvinseq.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class FreePortsTest {
  @Test
  void picksDistinctBindablePortsBelowTheEphemeralRange() throws Exception {
    int[] ports = FreePorts.pick("127.0.0.1", 20);
    assertThat(Arrays.stream(ports).distinct().count()).isEqualTo(20);
    for (int port : ports) {
      assertThat(port).isBetween(10_000, FreePorts.ephemeralLow() - 1);
      try (ServerSocket s = new ServerSocket()) {
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress("127.0.0.1", port));
        assertThat(s.getLocalPort()).isEqualTo(port);
      }
    }
  }
}
