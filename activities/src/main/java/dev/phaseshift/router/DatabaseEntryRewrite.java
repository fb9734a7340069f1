package dev.phaseshift.router;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.engine.postgres.PgEndpoint;
import dev.phaseshift.workflow.FailureTypes;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The text edit of one entry in the {@code [databases]} section of a PgBouncer ini file: its host,
 * port and dbname change, its other options (pool_size, user, ...) and every other line stay byte
 * for byte. Rewriting the result again changes nothing.
 */
final class DatabaseEntryRewrite {
  private static final Pattern SECTION = Pattern.compile("^\\s*\\[\\s*([^\\]]+?)\\s*\\]\\s*(?:[;#].*)?$");
  private static final Pattern ENTRY = Pattern.compile("^(\\s*)(\"[^\"]*\"|[^=\\s;#]+)(\\s*=\\s*)(.*?)(\\s*)$");
  private static final Pattern OPTION = Pattern.compile("\\s*([A-Za-z_]+)\\s*=\\s*('(?:[^'\\\\]|\\\\.|'')*'|[^\\s]*)");

  private DatabaseEntryRewrite() {}

  /**
   * @param file where {@code ini} was read, for messages
   * @return {@code ini} with entry {@code database} pointing at {@code endpoint}
   */
  static String pointAt(String ini, String database, PgEndpoint endpoint, Path file) {
    // Split keeping each line's own terminator, so untouched lines stay byte for byte.
    List<String> lines = new ArrayList<>();
    Matcher lm = Pattern.compile("[^\\n]*\\n|[^\\n]+$").matcher(ini);
    while (lm.find()) lines.add(lm.group());
    int found = entryLine(lines, database);
    if (found < 0) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "no entry '" + database + "' in the [databases] section of " + file + "; add the application's entry"
              + " there (Phaseshift rewrites it, an %include'd file is not followed) or fix router.database");
    }
    String raw = lines.get(found);
    String eol = raw.substring(stripEol(raw).length());
    Matcher e = ENTRY.matcher(stripEol(raw));
    if (!e.matches()) throw new IllegalStateException("entry line no longer parses");
    Map<String, String> options = new LinkedHashMap<>();
    Matcher o = OPTION.matcher(e.group(4));
    int end = 0;
    while (o.find() && o.start() == end) {
      options.put(o.group(1).toLowerCase(Locale.ROOT), o.group(2));
      end = o.end();
    }
    String rest = e.group(4).substring(end).strip();
    if (!rest.isEmpty() && !rest.startsWith(";") && !rest.startsWith("#")) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "cannot read the options of entry '" + database + "' in " + file + " near '" + rest + "'; write them as"
              + " key=value pairs, e.g. host=db1 port=5432 dbname=shop");
    }
    // Order: connection first, then whatever else the operator had, so diffs stay readable.
    Map<String, String> rewritten = new LinkedHashMap<>();
    rewritten.put("host", iniValue(endpoint.host()));
    rewritten.put("port", Integer.toString(endpoint.port()));
    rewritten.put("dbname", iniValue(endpoint.database()));
    // hostaddr would override the new host, so it goes with the old coordinates.
    options.forEach((k, v) -> {
      if (!k.equals("hostaddr")) rewritten.putIfAbsent(k, v);
    });
    StringBuilder value = new StringBuilder();
    rewritten.forEach((k, v) -> value.append(value.length() == 0 ? "" : " ").append(k).append('=').append(v));
    if (!rest.isEmpty()) value.append(' ').append(rest);
    lines.set(found, e.group(1) + e.group(2) + e.group(3) + value + eol);
    return String.join("", lines);
  }

  /** The index of the database's entry line in the [databases] section (the last one wins), or -1. */
  private static int entryLine(List<String> lines, String database) {
    String section = "";
    int found = -1;
    for (int i = 0; i < lines.size(); i++) {
      String line = stripEol(lines.get(i));
      Matcher s = SECTION.matcher(line);
      if (s.matches()) {
        section = s.group(1).toLowerCase(Locale.ROOT);
        continue;
      }
      if (!section.equals("databases")) continue;
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith(";") || trimmed.startsWith("#")) continue;
      Matcher e = ENTRY.matcher(line);
      if (e.matches() && unquote(e.group(2)).equals(database)) found = i;
    }
    return found;
  }

  private static String stripEol(String line) {
    int n = line.length();
    while (n > 0 && (line.charAt(n - 1) == '\n' || line.charAt(n - 1) == '\r')) n--;
    return line.substring(0, n);
  }

  private static String unquote(String key) {
    return key.length() >= 2 && key.startsWith("\"") && key.endsWith("\"") ? key.substring(1, key.length() - 1) : key;
  }

  /** libpq-style value: quoted only when it contains characters a bare value cannot. */
  private static String iniValue(String v) {
    if (v.matches("[A-Za-z0-9_.:/@%+-]+")) return v;
    return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }
}
