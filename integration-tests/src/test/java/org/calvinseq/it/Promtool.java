package org.calvinseq.it;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds promtool: $PROMTOOL, the copy .ci/install-tools puts in .ci/bin, or the PATH. */
final class Promtool {
  private Promtool() {}

  static String path() {
    String env = System.getenv("PROMTOOL");
    if (env != null && !env.isBlank()) {
      return env;
    }
    for (Path p : new Path[] {Path.of("../.ci/bin/promtool"), Path.of(".ci/bin/promtool")}) {
      if (Files.isExecutable(p)) {
        return p.toAbsolutePath().toString();
      }
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      Path p = Path.of(dir, "promtool");
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    throw new AssertionError("promtool not found: run `bash .ci/install-tools` or set PROMTOOL");
  }
}
