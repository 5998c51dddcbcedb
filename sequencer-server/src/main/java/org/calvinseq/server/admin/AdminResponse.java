package org.calvinseq.server.admin;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * What a route answers, independent of Netty.
 *
 * @param route the bounded tag value recorded in {@code sequencer.admin.requests}
 * @param status the HTTP status code
 * @param contentType the value of the {@code Content-Type} header
 * @param body the response body
 */
record AdminResponse(String route, int status, String contentType, byte[] body) {
  static final String TEXT = "text/plain; charset=utf-8";
  static final String JSON = "application/json";

  AdminResponse {
    Objects.requireNonNull(route, "route");
    Objects.requireNonNull(contentType, "contentType");
    Objects.requireNonNull(body, "body");
  }

  static AdminResponse text(String route, int status, String body) {
    return new AdminResponse(route, status, TEXT, body.getBytes(StandardCharsets.UTF_8));
  }

  String bodyAsString() {
    return new String(body, StandardCharsets.UTF_8);
  }
}
