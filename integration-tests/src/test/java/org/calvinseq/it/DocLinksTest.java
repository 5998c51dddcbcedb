package org.calvinseq.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The repository stands alone: every relative link in README.md and docs/ names a file inside the
 * repository that exists (a link outside it, such as to a sibling checkout, breaks for everyone who
 * clones only this repository).
 */
class DocLinksTest {
  private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");

  @Test
  void relativeLinksStayInsideTheRepositoryAndResolve() throws IOException {
    Path root = repositoryRoot();
    List<Path> pages = new ArrayList<>();
    pages.add(root.resolve("README.md"));
    try (Stream<Path> s = Files.walk(root.resolve("docs"))) {
      s.filter(p -> p.toString().endsWith(".md")).forEach(pages::add);
    }
    List<String> broken = new ArrayList<>();
    int checked = 0;
    for (Path page : pages) {
      Matcher m = LINK.matcher(Files.readString(page));
      while (m.find()) {
        String target = m.group(1);
        if (target.startsWith("http://")
            || target.startsWith("https://")
            || target.startsWith("#")
            || target.startsWith("mailto:")) {
          continue;
        }
        int hash = target.indexOf('#');
        String file = hash >= 0 ? target.substring(0, hash) : target;
        Path resolved = page.getParent().resolve(file).normalize();
        checked++;
        if (!resolved.startsWith(root)) {
          broken.add(root.relativize(page) + ": " + target + " leaves the repository");
        } else if (!Files.exists(resolved)) {
          broken.add(root.relativize(page) + ": " + target + " does not exist");
        }
      }
    }
    assertThat(checked).as("relative links checked").isGreaterThan(20);
    assertThat(broken).isEmpty();
  }

  private static Path repositoryRoot() {
    Path start = Path.of("").toAbsolutePath();
    for (Path dir = start; dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("docs/architecture.md"))) {
        return dir.normalize();
      }
    }
    throw new AssertionError("docs/architecture.md not found at or above " + start);
  }
}
