package dev.phaseshift.model;

/**
 * One normalized statement as {@code pg_stat_statements} counts it (constants replaced by $n, so
 * no value an application sent is kept): calls and total execution time, cumulative.
 */
public record StatementTime(String query, long calls, double totalMillis) {
  public double meanMillis() {
    return calls == 0 ? 0 : totalMillis / calls;
  }
}
