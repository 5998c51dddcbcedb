package org.calvinseq.cli;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What {@code bench} reads from the cluster at both ends of its measured window: a node's
 * Prometheus scrape (epochs applied and the txns in them) and a local process's CPU time. Both are
 * optional, and a reading that fails is reported absent rather than failing the bench: the load
 * figures stand without it. The CPU time may be several processes' (a cluster of one JVM per
 * member): it is their sum, and absent when any of them cannot be read.
 *
 * <p>The counters are {@code sequencer_epochs_applied_total} and {@code sequencer_batch_txns}
 * (count and sum), which every replica that keeps up reports alike and which exist with and without
 * the leader inbox; one epoch is one Raft entry, so epochs are the entries the cluster wrote and
 * applied. A reading is taken on the bench's measuring thread, so a scrape gives up after 3 s at
 * most: a slow endpoint would otherwise stretch the measured window.
 */
final class ClusterProbe {
  /**
   * One reading.
   *
   * @param epochs {@code sequencer_epochs_applied_total}, NaN when not scraped
   * @param batches {@code sequencer_batch_txns_count}, NaN when not scraped
   * @param batchTxns {@code sequencer_batch_txns_sum}, NaN when not scraped
   * @param cpu the processes' user plus system CPU time, null when not read
   */
  record Reading(double epochs, double batches, double batchTxns, Duration cpu) {}

  private final URI metrics;
  private final List<ProcessHandle> processes;
  private final HttpClient http;

  /**
   * @param metricsUrl a node's admin endpoint or its {@code /metrics} URL; null for none
   * @param pids the processes whose CPU time to read and add up (the cluster's JVMs); empty for
   *     none
   */
  ClusterProbe(String metricsUrl, List<Long> pids) {
    this.metrics = metricsUrl == null ? null : metricsUri(metricsUrl);
    List<ProcessHandle> found = new ArrayList<>();
    for (long pid : pids) {
      ProcessHandle.of(pid).ifPresent(found::add);
    }
    // A process that is already gone cannot be read: report no CPU rather than a part of it.
    this.processes = found.size() == pids.size() ? List.copyOf(found) : List.of();
    this.http =
        metrics == null
            ? null
            : HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
  }

  static URI metricsUri(String url) {
    URI u = URI.create(url);
    String path = u.getPath();
    return path == null || path.isEmpty() || path.equals("/") ? u.resolve("/metrics") : u;
  }

  boolean active() {
    return metrics != null || !processes.isEmpty();
  }

  /** Reads now; what cannot be read is NaN or null. */
  Reading read() {
    Duration cpu = cpu(processes);
    String text = scrape();
    return new Reading(
        value(text, "sequencer_epochs_applied_total"),
        value(text, "sequencer_batch_txns_count"),
        value(text, "sequencer_batch_txns_sum"),
        cpu);
  }

  private String scrape() {
    if (metrics == null) {
      return null;
    }
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(2)).GET().build(),
              HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? r.body() : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** The sum of a family's samples in Prometheus text (all label sets); NaN when absent. */
  static double value(String text, String name) {
    if (text == null) {
      return Double.NaN;
    }
    double sum = 0;
    boolean found = false;
    for (String line : text.split("\n")) {
      if (!line.startsWith(name) || line.length() == name.length()) {
        continue;
      }
      char next = line.charAt(name.length());
      if (next != ' ' && next != '{') {
        continue;
      }
      int end = line.indexOf('}');
      String rest = line.substring(end < 0 ? name.length() : end + 1).trim();
      int space = rest.indexOf(' '); // an optional timestamp follows the value
      try {
        sum += Double.parseDouble(space < 0 ? rest : rest.substring(0, space));
        found = true;
      } catch (NumberFormatException e) {
        return Double.NaN;
      }
    }
    return found ? sum : Double.NaN;
  }

  /**
   * The summary's cluster part for the window from {@code a} to {@code b}: entries (epochs) per
   * second, txns per epoch, and the process's CPU per entry and in cores; "n/a" for what was not
   * read at both ends.
   */
  static String describe(Reading a, Reading b, double seconds) {
    double entries = b.epochs() - a.epochs();
    double batches = b.batches() - a.batches();
    double txns = b.batchTxns() - a.batchTxns();
    StringBuilder s = new StringBuilder();
    if (Double.isNaN(entries) || seconds <= 0) {
      s.append("entries n/a, txns/epoch n/a");
    } else {
      s.append(
          String.format(
              Locale.ROOT,
              "%,.0f entries, %,.1f entries/s, txns/epoch %s",
              entries,
              entries / seconds,
              Double.isNaN(txns) || batches <= 0
                  ? "n/a"
                  : String.format(Locale.ROOT, "%.1f", txns / batches)));
    }
    if (a.cpu() == null || b.cpu() == null || seconds <= 0) {
      s.append(", cluster cpu n/a");
    } else {
      double cpuMs = (b.cpu().toNanos() - a.cpu().toNanos()) / 1e6;
      s.append(String.format(Locale.ROOT, ", cluster cpu %.2f cores", cpuMs / 1000 / seconds));
      s.append(
          Double.isNaN(entries) || entries <= 0
              ? ", cpu/entry n/a"
              : String.format(Locale.ROOT, ", cpu/entry %.3f ms", cpuMs / entries));
    }
    return s.toString();
  }

  /**
   * The processes' user plus system CPU time added up; null when there are none or one is unread.
   */
  private static Duration cpu(List<ProcessHandle> processes) {
    Duration sum = Duration.ZERO;
    for (ProcessHandle p : processes) {
      Duration d = p.info().totalCpuDuration().orElse(null);
      if (d == null) {
        return null;
      }
      sum = sum.plus(d);
    }
    return processes.isEmpty() ? null : sum;
  }

  /** This process's user plus system CPU time (the bench's own); null when the OS does not say. */
  static Duration ownCpu() {
    return ProcessHandle.current().info().totalCpuDuration().orElse(null);
  }

  /**
   * The summary's client part: the bench process's CPU from {@code a} to {@code b} in cores and per
   * txn answered in the window, or "client cpu n/a".
   */
  static String describeClient(Duration a, Duration b, double seconds, long txns) {
    if (a == null || b == null || seconds <= 0) {
      return "client cpu n/a";
    }
    double cpuUs = (b.toNanos() - a.toNanos()) / 1e3;
    return String.format(Locale.ROOT, "client cpu %.2f cores", cpuUs / 1e6 / seconds)
        + (txns <= 0
            ? ", cpu/txn n/a"
            : String.format(Locale.ROOT, ", cpu/txn %.2f us", cpuUs / txns));
  }
}
