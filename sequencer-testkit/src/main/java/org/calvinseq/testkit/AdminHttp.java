package org.calvinseq.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import org.calvinseq.core.protocol.NodeStatus;

/** The few admin-endpoint requests the harness makes, over plain {@link HttpURLConnection}. */
final class AdminHttp {
  private static final ObjectMapper JSON = new ObjectMapper();

  private AdminHttp() {}

  /** The body of {@code GET http://127.0.0.1:port/path}; fails unless the status is 200. */
  static String get(int port, String path) throws IOException {
    HttpURLConnection c =
        (HttpURLConnection) new URL("http://127.0.0.1:" + port + path).openConnection();
    c.setConnectTimeout(2000);
    c.setReadTimeout(5000);
    try {
      int code = c.getResponseCode();
      if (code != 200) {
        throw new IOException("GET " + path + " on port " + port + " answered " + code);
      }
      try (InputStream in = c.getInputStream()) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    } finally {
      c.disconnect();
    }
  }

  /**
   * The node's {@code /status} document as a {@link NodeStatus}; fails while the node is still
   * starting (its endpoint answers before its Raft server has loaded the log).
   */
  static NodeStatus status(int port) throws IOException {
    JsonNode s = JSON.readTree(get(port, "/status"));
    if ("starting".equals(s.path("state").asText())) {
      throw new IOException("the node on port " + port + " is still starting");
    }
    return new NodeStatus(
        s.path("nodeId").asText(),
        s.path("role").asText("UNKNOWN"),
        s.path("leaderId").asText(""),
        s.path("term").asLong(),
        s.path("lastAppliedEpoch").asLong(-1),
        s.path("lastAppliedIndex").asLong(-1),
        s.path("commitIndex").asLong(-1),
        s.path("firstReplayableEpoch").asLong(-1),
        s.path("vshardCount").asInt());
  }
}
