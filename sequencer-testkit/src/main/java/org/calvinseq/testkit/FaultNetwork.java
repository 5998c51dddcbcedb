package org.calvinseq.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link FaultProxy} in front of each member's Raft port, and which members are cut off: {@link
 * LocalCluster#isolate} and {@link LocalCluster#heal} act here.
 */
final class FaultNetwork implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FaultNetwork.class);

  private final FaultProxy[] proxies;
  private final Set<String> isolated = ConcurrentHashMap.newKeySet();

  /** Proxies for members {@code ids} whose Raft servers bind {@code bindPorts} on loopback. */
  FaultNetwork(List<String> ids, int[] bindPorts) throws IOException {
    proxies = new FaultProxy[ids.size()];
    try {
      for (int i = 0; i < proxies.length; i++) {
        proxies[i] =
            new FaultProxy(
                ids.get(i), new InetSocketAddress("127.0.0.1", bindPorts[i]), ids, this::allowed);
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  /** The port peers and clients dial to reach member {@code i}. */
  int port(int i) {
    return proxies[i].port();
  }

  FaultProxy proxy(int i) {
    return proxies[i];
  }

  /** Cuts member {@code id} off, closing its open connections at once. */
  void isolate(String id) {
    isolated.add(id);
    LOG.info("isolated {}", id);
    for (FaultProxy p : proxies) {
      p.enforce();
    }
  }

  void heal() {
    isolated.clear();
    LOG.info("healed the network");
  }

  private boolean allowed(String source, String destination) {
    return !isolated.contains(destination) && (source == null || !isolated.contains(source));
  }

  @Override
  public void close() {
    for (FaultProxy p : proxies) {
      if (p != null) {
        p.close();
      }
    }
  }
}
