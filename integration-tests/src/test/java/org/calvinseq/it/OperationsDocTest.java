package org.calvinseq.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.calvinseq.cli.SequencerCli;
import org.calvinseq.client.SequencerClientBuilder;
import org.calvinseq.server.SequencerNodeBuilder;
import org.calvinseq.server.events.EventLogConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Keeps {@code docs/operations.md} in step with the configuration the code defines. Every option of
 * every {@code sequencer} command (read with picocli from the real command classes) must be on the
 * page, with its default in a table row that names the option; every key of a node's properties
 * file (as {@code sequencer node --print-config} writes them) must be on the page; so must every
 * setting of {@code SequencerNodeBuilder}, {@code SequencerClientBuilder} and {@code
 * EventLogConfig}, and every environment variable or system property the launcher script and the
 * command line's logging configuration read. Each test fails with the list of what is missing.
 */
class OperationsDocTest {
  private static final String PAGE = "docs/operations.md";

  private static Path root;
  private static String doc;

  @BeforeAll
  static void readThePage() throws IOException {
    root = repositoryRoot();
    doc = Files.readString(root.resolve(PAGE));
  }

  @Test
  void everyOptionOfEveryCommandIsDocumented() {
    List<String> missing = new ArrayList<>();
    for (CommandOption o : commandOptions()) {
      if (!token(o.flag()).matcher(doc).find()) {
        missing.add(o.command() + " " + o.flag());
      }
    }
    assertThat(missing).as("command-line options missing from " + PAGE).isEmpty();
  }

  @Test
  void everyDefaultIsInATableRowOfItsOption() {
    List<String> rows = doc.lines().filter(l -> l.strip().startsWith("|")).toList();
    List<String> missing = new ArrayList<>();
    for (CommandOption o : commandOptions()) {
      if (o.defaultValue() == null) {
        continue;
      }
      Pattern flag = token(o.flag());
      Pattern value = defaultToken(o.defaultValue());
      boolean found =
          rows.stream().anyMatch(r -> flag.matcher(r).find() && value.matcher(r).find());
      if (!found) {
        missing.add(o.command() + " " + o.flag() + " (default " + o.defaultValue() + ")");
      }
    }
    assertThat(missing)
        .as("options whose default is not in a table row of " + PAGE + " that names the option")
        .isEmpty();
  }

  @Test
  void everyPropertiesFileKeyIsDocumented(@TempDir Path tmp) {
    List<String> missing = new ArrayList<>();
    for (String key : propertiesKeys(tmp)) {
      boolean found =
          doc.contains("`" + key + "`")
              || Pattern.compile("(?m)^" + Pattern.quote(key) + "=").matcher(doc).find();
      if (!found) {
        missing.add(key);
      }
    }
    assertThat(missing).as("node properties-file keys missing from " + PAGE).isEmpty();
  }

  @Test
  void everySequencerNodeBuilderSettingIsDocumented() {
    assertThat(missingMethods(SequencerNodeBuilder.class, Set.of("build", "config")))
        .as("SequencerNodeBuilder settings missing from " + PAGE)
        .isEmpty();
  }

  @Test
  void everySequencerClientBuilderSettingIsDocumented() {
    assertThat(missingMethods(SequencerClientBuilder.class, Set.of("build")))
        .as("SequencerClientBuilder settings missing from " + PAGE)
        .isEmpty();
  }

  @Test
  void everyEventLogSettingIsDocumented() {
    List<String> missing = new ArrayList<>();
    for (RecordComponent c : EventLogConfig.class.getRecordComponents()) {
      if (!doc.contains("`" + c.getName() + "`")) {
        missing.add(c.getName());
      }
    }
    for (Method m : EventLogConfig.class.getMethods()) {
      boolean setting =
          m.getDeclaringClass() == EventLogConfig.class
              && (m.getName().startsWith("with")
                  || (Modifier.isStatic(m.getModifiers())
                      && m.getReturnType() == EventLogConfig.class));
      if (setting && !doc.contains(m.getName() + "(")) {
        missing.add(m.getName() + "(...)");
      }
    }
    assertThat(missing).as("EventLogConfig settings missing from " + PAGE).isEmpty();
  }

  @Test
  void everyEnvironmentVariableAndLoggingPropertyIsDocumented() throws IOException {
    Set<String> names = new TreeSet<>();
    // Variables the launcher reads but never assigns come from the environment.
    String launcher = Files.readString(root.resolve("sequencer-cli/src/dist/bin/sequencer"));
    Matcher ref = Pattern.compile("\\$\\{?([A-Z_][A-Z0-9_]*)").matcher(launcher);
    while (ref.find()) {
      String name = ref.group(1);
      if (!Pattern.compile("(?m)^\\s*" + name + "=").matcher(launcher).find()) {
        names.add(name);
      }
    }
    // Logback looks ${name} up in the system properties, then the environment.
    String logback =
        Files.readString(
            root.resolve("sequencer-cli/src/main/resources/org/calvinseq/cli/logback-cli.xml"));
    Matcher var = Pattern.compile("\\$\\{([A-Za-z0-9_.]+)").matcher(logback);
    while (var.find()) {
      names.add(var.group(1));
    }
    assertThat(names).as("variables found in the launcher and logging configuration").isNotEmpty();
    List<String> missing = names.stream().filter(n -> !doc.contains(n)).toList();
    assertThat(missing)
        .as("environment variables and system properties missing from " + PAGE)
        .isEmpty();
  }

  // ---- what the code defines ----

  /** One option of one command. */
  private record CommandOption(String command, String flag, String defaultValue) {}

  /**
   * Every option of every command of the real command line, except help and version, each with the
   * default picocli shows (null for required options, switches and options without one).
   */
  private static List<CommandOption> commandOptions() {
    Map<String, CommandOption> out = new LinkedHashMap<>();
    collect(new CommandLine(new SequencerCli()), out);
    assertThat(out).as("options found by picocli").isNotEmpty();
    return new ArrayList<>(out.values());
  }

  private static void collect(CommandLine cl, Map<String, CommandOption> out) {
    String command = cl.getCommandSpec().qualifiedName();
    for (OptionSpec o : cl.getCommandSpec().options()) {
      if (o.usageHelp() || o.versionHelp()) {
        continue;
      }
      String d = o.required() || o.arity().max() == 0 ? null : o.defaultValueString();
      if (d != null && (d.isBlank() || d.equals("null"))) {
        d = null;
      }
      out.putIfAbsent(
          command + " " + o.longestName(), new CommandOption(command, o.longestName(), d));
    }
    for (CommandLine sub : new LinkedHashSet<>(cl.getSubcommands().values())) {
      collect(sub, out);
    }
  }

  /** The keys of a node's properties file, as {@code sequencer node --print-config} writes them. */
  private static List<String> propertiesKeys(Path tmp) {
    CommandLine cl = SequencerCli.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code =
        cl.execute(
            "node",
            "--id",
            "n1",
            "--peers",
            "n1@127.0.0.1:7001",
            "--data-dir",
            tmp.resolve("data").toString(),
            "--print-config");
    assertThat(code).as("sequencer node --print-config: " + err).isZero();
    List<String> keys =
        out.toString()
            .lines()
            .filter(l -> !l.isBlank() && !l.startsWith("#") && l.indexOf('=') > 0)
            .map(l -> l.substring(0, l.indexOf('=')).strip())
            .toList();
    assertThat(keys).as("keys printed by --print-config").contains("id", "peers", "data-dir");
    return keys;
  }

  /** Public instance methods of {@code type} (settings of a builder) the page does not name. */
  private static List<String> missingMethods(Class<?> type, Set<String> ignored) {
    Set<String> names = new TreeSet<>();
    for (Method m : type.getDeclaredMethods()) {
      int mod = m.getModifiers();
      if (Modifier.isPublic(mod) && !Modifier.isStatic(mod) && !m.isSynthetic()) {
        names.add(m.getName());
      }
    }
    names.removeAll(ignored);
    assertThat(names).as("settings of " + type.getSimpleName()).isNotEmpty();
    return names.stream().filter(n -> !doc.contains(n + "(")).toList();
  }

  // ---- matching ----

  /** {@code flag} as a whole word: not part of a longer option name. */
  private static Pattern token(String flag) {
    return Pattern.compile("(?<![\\w-])" + Pattern.quote(flag) + "(?![\\w-])");
  }

  /** A default value as a whole word: {@code 0} does not match inside {@code 10000} or 0.5. */
  private static Pattern defaultToken(String value) {
    return Pattern.compile("(?<![\\w.])" + Pattern.quote(value) + "(?![\\w]|\\.\\d)");
  }

  /** The repository root: the first directory at or above this module that holds the page. */
  private static Path repositoryRoot() {
    Path start = Path.of("").toAbsolutePath();
    for (Path dir = start; dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve(PAGE))) {
        return dir;
      }
    }
    throw new AssertionError(PAGE + " not found at or above " + start);
  }
}
