package org.calvinseq.it.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every code block of {@code docs/embedding.md} is taken from compiled code: each block, preceded
 * by {@code <!-- from: path -->}, must appear in that file, piece by piece between its {@code //
 * ...} elisions, in order (indentation aside).
 */
class EmbeddingDocTest {
  private static final Path ROOT = Path.of("..");
  private static final Pattern BLOCK =
      Pattern.compile("<!-- from: (\\S+) -->\\s*\\n```java\\n(.*?)\\n```", Pattern.DOTALL);

  @Test
  void everyCodeBlockMatchesItsSource() throws IOException {
    String doc = Files.readString(ROOT.resolve("docs/embedding.md"));
    Matcher m = BLOCK.matcher(doc);
    int blocks = 0;
    while (m.find()) {
      blocks++;
      Path source = ROOT.resolve(m.group(1));
      assertThat(source).as("source of a code block").isRegularFile();
      check(m.group(2), lines(Files.readString(source)), m.group(1));
    }
    assertThat(blocks).as("code blocks with a source").isGreaterThanOrEqualTo(10);
    assertThat(doc.split("```java", -1).length - 1)
        .as("every java block names its source")
        .isEqualTo(blocks);
  }

  private static void check(String block, List<String> source, String file) {
    List<List<String>> pieces = new ArrayList<>();
    pieces.add(new ArrayList<>());
    for (String l : block.split("\n")) {
      String t = l.strip();
      if (t.equals("// ...")) {
        pieces.add(new ArrayList<>());
      } else if (!t.isEmpty()) {
        pieces.get(pieces.size() - 1).add(t);
      }
    }
    int from = 0;
    for (List<String> piece : pieces) {
      if (piece.isEmpty()) {
        continue;
      }
      int at = indexOf(source, piece, from);
      if (at < 0) {
        fail("this piece of a block of docs/embedding.md is not in " + file + ":\n" + piece);
      }
      from = at + piece.size();
    }
  }

  private static List<String> lines(String text) {
    List<String> out = new ArrayList<>();
    for (String l : text.split("\n")) {
      if (!l.isBlank()) {
        out.add(l.strip());
      }
    }
    return out;
  }

  private static int indexOf(List<String> hay, List<String> needle, int from) {
    outer:
    for (int i = from; i + needle.size() <= hay.size(); i++) {
      for (int j = 0; j < needle.size(); j++) {
        if (!hay.get(i + j).equals(needle.get(j))) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
