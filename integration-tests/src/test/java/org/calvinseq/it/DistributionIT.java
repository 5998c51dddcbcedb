package org.calvinseq.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built distribution as a user runs it: {@code bin/sequencer local-cluster} in its own OS
 * process, scraped over HTTP, stopped with SIGTERM, and restarted on the same data directory.
 *
 * <p>Needs {@code sequencer-cli/target/dist}: run {@code mvn -B -q package -DskipTests} first (a
 * full {@code mvn verify} builds it before this module). The processes' output is kept in {@code
 * integration-tests/target/distribution-it-*.log}.
 */
class DistributionIT {
  private static final Path DIST = Path.of("..", "sequencer-cli", "target", "dist");
  private static final Duration STARTUP = Duration.ofSeconds(90);
  private static final Duration STOP = Duration.ofSeconds(30);
  private static final String CLEAN = "local cluster shut down cleanly";
  private static final Pattern ADMIN = Pattern.compile("^admin (n\\d+): (http://\\S+)$");
  private static final Pattern APPLIED_GAUGE =
      Pattern.compile("(?m)^sequencer_last_applied_epoch(?:\\{[^}]*})? (\\S+)$");

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final ObjectMapper json = new ObjectMapper();

  @TempDir Path tmp;

  @Test
  void localClusterServesMetricsStopsCleanlyAndResumesWithoutLoss() throws Exception {
    Path script = DIST.resolve("bin").resolve("sequencer");
    if (!Files.isExecutable(script)) {
      fail(
          "the distribution is missing: "
              + script.toAbsolutePath().normalize()
              + " is not an executable file; run `mvn -B -q package -DskipTests` (from the"
              + " repository root) first");
    }
    Path data = tmp.resolve("cluster");

    long appliedBeforeStop;
    String peers;
    try (Sequencer run =
        Sequencer.start(
            script, "run1", "local-cluster", "--demo-load", "--data-dir", data.toString())) {
      peers = run.awaitLine("peers: ").substring("peers: ".length());
      List<String> admin = run.adminUrls(3);
      String n1 = admin.get(0);

      await(() -> httpStatus(n1 + "/ready") == 200, "n1 /ready to answer 200", run);
      await(() -> appliedGauge(n1) > 0, "n1 to apply epochs from the demo load", run);
      String metrics = get(n1 + "/metrics").body();
      assertThat(metrics).contains("sequencer_epochs_applied_total");
      assertThat(appliedGauge(n1)).isPositive();
      run.awaitLine("progress: epochs applied ");

      appliedBeforeStop = maxApplied(admin);
      assertThat(appliedBeforeStop).isPositive();
      assertThat(run.output())
          .as("the command sets the common pool's parallelism (a node warns when it is below 2)")
          .doesNotContain("common pool has parallelism");
      assertThat(run.output())
          .as("the command's logging config applies (logback's fallback logs DEBUG for all)")
          .doesNotContain(" DEBUG ")
          .contains(" INFO  [");
      run.stopAndExpectCleanExit();
    }

    try (Sequencer run =
        Sequencer.start(script, "run2", "local-cluster", "--data-dir", data.toString())) {
      assertThat(run.awaitLine("peers: "))
          .as("the same members on the same ports")
          .isEqualTo("peers: " + peers);
      List<String> admin = run.adminUrls(3);
      for (String url : admin) {
        await(
            () -> lastAppliedEpoch(url) >= appliedBeforeStop,
            url + " to apply again every epoch through " + appliedBeforeStop,
            run);
      }
      assertThat(run.output()).doesNotContain("progress: ");
      run.stopAndExpectCleanExit();
    }
  }

  private long maxApplied(List<String> admin) throws IOException, InterruptedException {
    long max = -1;
    for (String url : admin) {
      max = Math.max(max, lastAppliedEpoch(url));
    }
    return max;
  }

  /** {@code lastAppliedEpoch} of the node's {@code /status} document; -2 when unreachable. */
  private long lastAppliedEpoch(String url) {
    try {
      HttpResponse<String> r = get(url + "/status");
      if (r.statusCode() != 200) {
        return -2;
      }
      JsonNode status = json.readTree(r.body());
      return status.get("lastAppliedEpoch").asLong();
    } catch (IOException e) {
      return -2;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -2;
    }
  }

  private double appliedGauge(String url) {
    try {
      Matcher m = APPLIED_GAUGE.matcher(get(url + "/metrics").body());
      return m.find() ? Double.parseDouble(m.group(1)) : -1;
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private int httpStatus(String url) {
    try {
      return get(url).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private HttpResponse<String> get(String url) throws IOException, InterruptedException {
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build();
    return http.send(req, HttpResponse.BodyHandlers.ofString());
  }

  private static void await(BooleanSupplier condition, String what, Sequencer run)
      throws InterruptedException {
    long deadline = System.nanoTime() + STARTUP.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline || !run.process.isAlive()) {
        fail(
            (run.process.isAlive() ? "timed out waiting for " : "the process died waiting for ")
                + what
                + "; its output:\n"
                + run.output());
      }
      Thread.sleep(200);
    }
  }

  /**
   * One {@code bin/sequencer} process. Its output goes to a file, not a pipe: {@link
   * Process#destroy()} closes the pipes before the process has run its shutdown hook, which would
   * lose exactly the lines about the shutdown.
   */
  private static final class Sequencer implements AutoCloseable {
    private final Process process;
    private final Path log;

    private Sequencer(Process process, Path log) {
      this.process = process;
      this.log = log;
    }

    static Sequencer start(Path script, String name, String... args) throws IOException {
      List<String> command = new ArrayList<>();
      command.add(script.toString());
      command.addAll(List.of(args));
      Path log = Path.of("target", "distribution-it-" + name + ".log").toAbsolutePath();
      Files.createDirectories(log.getParent());
      ProcessBuilder pb =
          new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
      pb.environment().put("JAVA_OPTS", "-Xmx384m -XX:+UseSerialGC");
      return new Sequencer(pb.start(), log);
    }

    List<String> lines() {
      try {
        return Files.readAllLines(log, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    String output() {
      return String.join("\n", lines());
    }

    /** The first line starting with {@code prefix}, waiting for it. */
    String awaitLine(String prefix) throws InterruptedException {
      return awaitMatch(l -> l.startsWith(prefix) ? Optional.of(l) : Optional.empty(), prefix);
    }

    /** The admin URLs of members n1..n{@code n}, in that order. */
    List<String> adminUrls(int n) throws InterruptedException {
      List<String> urls = new ArrayList<>();
      for (int i = 1; i <= n; i++) {
        String id = "n" + i;
        urls.add(
            awaitMatch(
                l -> {
                  Matcher m = ADMIN.matcher(l);
                  return m.matches() && m.group(1).equals(id)
                      ? Optional.of(m.group(2))
                      : Optional.empty();
                },
                "admin " + id + ": URL"));
      }
      return urls;
    }

    private String awaitMatch(Function<String, Optional<String>> match, String what)
        throws InterruptedException {
      long deadline = System.nanoTime() + STARTUP.toNanos();
      while (true) {
        boolean alive = process.isAlive();
        for (String line : lines()) {
          Optional<String> m = match.apply(line);
          if (m.isPresent()) {
            return m.get();
          }
        }
        if (!alive || System.nanoTime() > deadline) {
          fail("no line with " + what + " in the output (see " + log + "):\n" + output());
        }
        Thread.sleep(100);
      }
    }

    /** SIGTERM, as an init system or Ctrl-C would send: the shutdown hook must close cleanly. */
    void stopAndExpectCleanExit() throws InterruptedException {
      process.destroy();
      assertThat(process.waitFor(STOP.toSeconds(), TimeUnit.SECONDS))
          .as("exited within %s of SIGTERM; output:\n%s", STOP, output())
          .isTrue();
      assertThat(process.exitValue()).as("exit code after SIGTERM").isIn(0, 143);
      assertThat(output()).contains(CLEAN);
    }

    @Override
    public void close() throws InterruptedException {
      if (process.isAlive()) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(STOP.toSeconds(), TimeUnit.SECONDS);
      }
    }
  }
}
