package org.calvinseq.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The alert rules pass {@code promtool check rules} and their unit tests ({@code promtool test
 * rules}), as {@code .ci/run} checks them, so that a local {@code mvn verify} catches a broken rule
 * too. That the rules use only exported metrics is {@link MetricsDocIT}'s job.
 */
class AlertRulesIT {
  private static final Path ALERTS = docs().resolve("alerts");

  @Test
  void rulesAreValid() throws Exception {
    promtool("check", "rules", "sequencer-rules.yml");
  }

  @Test
  void rulesPassTheirUnitTests() throws Exception {
    promtool("test", "rules", "sequencer-rules.test.yml");
  }

  private static void promtool(String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of(Promtool.path()));
    cmd.addAll(List.of(args));
    Process p =
        new ProcessBuilder(cmd).directory(ALERTS.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("promtool %s said:%n%s", String.join(" ", args), out).isZero();
  }

  private static Path docs() {
    for (Path p : List.of(Path.of("..", "docs"), Path.of("docs"))) {
      if (Files.isDirectory(p.resolve("alerts"))) {
        return p.toAbsolutePath().normalize();
      }
    }
    throw new AssertionError("docs/alerts not found from " + Path.of("").toAbsolutePath());
  }
}
