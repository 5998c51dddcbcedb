package org.calvinseq.it.fault;

/** Reads samples out of a Prometheus text scrape. */
final class Scrapes {
  private Scrapes() {}

  /**
   * The sum of every sample of {@code name} whose labels contain each of {@code labels} (as {@code
   * key="value"}); NaN when there is no such sample.
   */
  static double sum(String scrape, String name, String... labels) {
    double total = 0;
    boolean found = false;
    for (String line : scrape.split("\n")) {
      if (!(line.startsWith(name + "{") || line.startsWith(name + " "))) {
        continue;
      }
      String labelPart =
          line.startsWith(name + "{") ? line.substring(0, line.indexOf('}') + 1) : "";
      boolean match = true;
      for (String l : labels) {
        match &= labelPart.contains(l);
      }
      if (match) {
        total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        found = true;
      }
    }
    return found ? total : Double.NaN;
  }
}
