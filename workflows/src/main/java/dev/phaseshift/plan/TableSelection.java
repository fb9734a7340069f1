package dev.phaseshift.plan;

import java.util.List;

/**
 * Which tables move. Patterns are {@code schema.table} with {@code *} as a wildcard; an empty
 * include list means every user table.
 */
public record TableSelection(List<String> include, List<String> exclude) {
  public static TableSelection all() {
    return new TableSelection(List.of(), List.of());
  }

  public boolean selects(String schema, String table) {
    String qualified = schema + "." + table;
    boolean included = include == null || include.isEmpty()
        || include.stream().anyMatch(p -> matches(p, qualified));
    boolean excluded = exclude != null && exclude.stream().anyMatch(p -> matches(p, qualified));
    return included && !excluded;
  }

  static boolean matches(String pattern, String qualified) {
    String p = pattern.contains(".") ? pattern : "public." + pattern;
    StringBuilder regex = new StringBuilder();
    for (char c : p.toCharArray()) {
      if (c == '*') regex.append(".*");
      else if (Character.isLetterOrDigit(c) || c == '_') regex.append(c);
      else regex.append('\\').append(c);
    }
    return qualified.matches(regex.toString());
  }
}
