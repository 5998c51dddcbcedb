package org.calvinseq.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Properties;
import java.util.TreeSet;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * Merges a properties file with the flags of a command: the file's keys are the options' long names
 * without the leading dashes ({@code data-dir=/var/lib/calvinseq}), flags override the file, and an
 * empty value means the default.
 *
 * <p>The merge parses the file's settings and the given flags again, as one command line, into a
 * fresh options object: every value goes through the same converters and checks as a flag, and a
 * bad value is reported with the file's name.
 */
final class ConfigFile {
  private ConfigFile() {}

  /**
   * Loads {@code file} (UTF-8).
   *
   * @throws ParameterException when it cannot be read
   */
  static Properties load(CommandLine cl, Path file) {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(r);
    } catch (NoSuchFileException e) {
      throw new ParameterException(cl, "config file not found: " + file);
    } catch (IOException | IllegalArgumentException e) {
      throw new ParameterException(cl, "cannot read config file " + file + ": " + e.getMessage());
    }
    return p;
  }

  /**
   * Options of type {@code T} from {@code file} overridden by the flags that {@code flags} (the
   * parse of the command that mixes {@code T} in) matched.
   *
   * @param fresh a new options object to fill
   * @throws ParameterException for an unknown key or a bad value in the file
   */
  static <T> T merge(CommandLine cl, ParseResult flags, Properties file, Path fileName, T fresh) {
    CommandLine target = new CommandLine(fresh);
    CommandSpec spec = target.getCommandSpec();
    List<String> args = new ArrayList<>();
    for (String key : new TreeSet<>(file.stringPropertyNames())) {
      OptionSpec o = spec.findOption("--" + key);
      if (key.startsWith("-") || o == null || o.usageHelp() || o.versionHelp()) {
        throw new ParameterException(
            cl,
            "config file "
                + fileName
                + ": unknown key '"
                + key
                + "'; the keys are: "
                + String.join(", ", keys(spec)));
      }
      String value = file.getProperty(key).strip();
      if (!value.isEmpty() && !flags.hasMatchedOption(o.longestName())) {
        args.add(o.longestName() + "=" + value);
      }
    }
    for (OptionSpec o : spec.options()) {
      OptionSpec given = flags.matchedOption(o.longestName());
      if (given != null) {
        for (String v : given.originalStringValues()) {
          args.add(o.longestName() + "=" + v);
        }
      }
    }
    try {
      target.parseArgs(args.toArray(new String[0]));
    } catch (ParameterException e) {
      // The flags parsed once already, so the file holds the bad value.
      throw new ParameterException(cl, "config file " + fileName + ": " + e.getMessage(), e);
    }
    return fresh;
  }

  /** The settings of {@code options} as a properties file that {@link #merge} reads back. */
  static String format(Object options) {
    CommandSpec spec = new CommandLine(options).getCommandSpec();
    StringBuilder sb = new StringBuilder();
    for (OptionSpec o : spec.options()) {
      if (o.usageHelp() || o.versionHelp()) {
        continue;
      }
      Object v = o.getValue();
      String text;
      if (v == null) {
        text = "";
      } else if (v instanceof BitSet b) {
        text = VShardRanges.format(b);
      } else if (v instanceof List<?> l) {
        text = l.stream().map(String::valueOf).collect(Collectors.joining(","));
      } else {
        text = v.toString();
      }
      sb.append(o.longestName().substring(2)).append('=').append(escape(text)).append('\n');
    }
    return sb.toString();
  }

  private static List<String> keys(CommandSpec spec) {
    List<String> out = new ArrayList<>();
    for (OptionSpec o : spec.options()) {
      if (!o.usageHelp() && !o.versionHelp()) {
        out.add(o.longestName().substring(2));
      }
    }
    return out;
  }

  /** Escapes what {@link Properties#load} would read differently: backslashes, leading blanks. */
  private static String escape(String s) {
    return s.replace("\\", "\\\\");
  }
}
