package dev.phaseshift.router;

import java.util.List;
import java.util.Map;

/**
 * What console commands answered: the first listing's rows (for SHOW), the listings after a
 * {@link #SEPARATOR} line in {@code rest}, or the error psql printed.
 */
record ConsoleReply(boolean ok, List<Map<String, String>> rows, String error, ConsoleReply rest) {
  /** Printed between two listings of one psql run; no console listing has such a line. */
  static final String SEPARATOR = "--phaseshift-next-listing--";

  ConsoleReply(boolean ok, List<Map<String, String>> rows, String error) {
    this(ok, rows, error, null);
  }

  static ConsoleReply failed(String error) {
    return new ConsoleReply(false, List.of(), error);
  }

  /** The listing after the separator; empty when there is none. */
  ConsoleReply next() {
    return rest == null ? new ConsoleReply(ok, List.of(), error) : rest;
  }

  /** The psql command that prints the separator, for a batch that asks for several listings. */
  static String separatorCommand() {
    return "\\echo " + SEPARATOR;
  }

  /** Splits psql's output at separator lines, one CSV listing each. */
  static ConsoleReply listings(String stdout) {
    String[] parts = stdout.split("(?:^|\n)" + SEPARATOR + "\n", -1);
    ConsoleReply rest = null;
    for (int i = parts.length - 1; i >= 0; i--) {
      String part = parts[i];
      if (i < parts.length - 1 && !part.isEmpty()) part += "\n";
      rest = new ConsoleReply(true, PsqlCsv.rows(part), "", rest);
    }
    return rest;
  }
}
