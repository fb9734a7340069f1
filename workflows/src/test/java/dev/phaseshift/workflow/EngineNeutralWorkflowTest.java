package dev.phaseshift.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The workflow and the records it exchanges with the engines speak no database engine's words, so
 * an engine other than PostgreSQL fits behind the same activities. The engine formats what it
 * reports (positions, lag); the workflow compares and shows. Comments may explain an engine; the
 * code may not name one. The enforcer rules keep JDBC and Spring out of this module's classpath;
 * this test keeps their vocabulary out of its sources.
 */
class EngineNeutralWorkflowTest {
  static final Path MAIN = Path.of("src/main/java/dev/phaseshift");

  /**
   * The workflow and its records. The plan ({@code dev.phaseshift.plan}) is the operator's
   * description of their servers as they address them (a JDBC URL, PgBouncer's console); the
   * workflow hands it to the activities without reading those parts.
   */
  static final List<String> CHECKED = List.of("workflow", "model");

  /** Words of PostgreSQL's replication and drivers, compared with each word of an identifier or a string. */
  static final Set<String> ENGINE_WORDS = Set.of("lsn", "slot", "slots", "publication", "publications",
      "subscription", "subscriptions", "wal", "pg", "postgres", "postgresql", "jdbc");

  /**
   * Sources that speak of the engine by design, each for a reason: the assessment's facts about a
   * server carry the server's own setting names, so the operator recognizes them in the report.
   */
  static final Set<String> EXEMPT = Set.of("model/ServerInfo.java");

  private static final Pattern COMMENTS_AND_STRINGS = Pattern.compile(
      "//[^\\n]*|/\\*.*?\\*/|\"\"\"(.*?)\"\"\"|\"((?:[^\"\\\\]|\\\\.)*)\"|'(?:[^'\\\\]|\\\\.)'", Pattern.DOTALL);
  private static final Pattern WORD = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  /** Splits camelCase and ALL_CAPS into words: walLevel, WALSender, BATCHES_PER_SLOT. */
  private static final Pattern CAMEL = Pattern.compile("[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+");

  @Test
  void workflowSourcesUseNoEngineWordsInIdentifiersOrStrings() throws IOException {
    List<String> violations = new ArrayList<>();
    List<Path> sources;
    try (Stream<Path> files = CHECKED.stream().map(MAIN::resolve).flatMap(EngineNeutralWorkflowTest::walk)) {
      sources = files.filter(p -> p.toString().endsWith(".java")).sorted().toList();
    }
    assertTrue(sources.size() > 20, "found the workflow sources under " + MAIN.toAbsolutePath());
    for (Path source : sources) {
      String relative = MAIN.relativize(source).toString().replace('\\', '/');
      if (EXEMPT.contains(relative)) continue;
      violations.addAll(engineWords(relative, Files.readString(source)));
    }
    assertTrue(violations.isEmpty(), "The workflow module must stay engine-neutral: it speaks of change capture, "
        + "change streams, stream positions and lag, and the engine (activities, dev.phaseshift.engine.postgres) "
        + "turns them into its own objects. Rename these identifiers or reword these strings, or move the code "
        + "into the engine:\n  " + String.join("\n  ", violations));
  }

  @Test
  void theCheckFindsEngineWordsInIdentifiersAndStringsButNotInComments() {
    String code = """
        /** Reads the slot's LSN. */
        class X {
          // the publication
          long confirmedLsn;
          String s = "drop the replication slot";
          String t = "pg_stat_activity";
          int BATCHES_PER_SLOT;
          String u = "copying tables";
        }
        """;
    List<String> found = engineWords("X.java", code);
    assertEquals(List.of("X.java: string \"drop the replication slot\"", "X.java: string \"pg_stat_activity\"",
        "X.java: identifier confirmedLsn", "X.java: identifier BATCHES_PER_SLOT"), found);
  }

  private static Stream<Path> walk(Path directory) {
    try {
      return Files.walk(directory);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<String> engineWords(String file, String code) {
    List<String> found = new ArrayList<>();
    StringBuilder identifiers = new StringBuilder();
    Matcher m = COMMENTS_AND_STRINGS.matcher(code);
    int last = 0;
    while (m.find()) {
      identifiers.append(code, last, m.start()).append(' ');
      last = m.end();
      String literal = m.group(1) != null ? m.group(1) : m.group(2);
      if (literal != null && speaksEngine(literal)) {
        found.add(file + ": string \"" + literal + "\"");
      }
    }
    identifiers.append(code.substring(last));
    Matcher word = WORD.matcher(identifiers);
    while (word.find()) {
      if (speaksEngine(word.group())) found.add(file + ": identifier " + word.group());
    }
    return found;
  }

  private static boolean speaksEngine(String text) {
    if (text.toLowerCase(Locale.ROOT).contains("pg_")) return true;
    Matcher word = WORD.matcher(text.replace('_', ' '));
    while (word.find()) {
      Matcher part = CAMEL.matcher(word.group());
      while (part.find()) {
        if (ENGINE_WORDS.contains(part.group().toLowerCase(Locale.ROOT))) return true;
      }
    }
    return false;
  }
}
