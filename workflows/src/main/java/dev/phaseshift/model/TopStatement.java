package dev.phaseshift.model;

/**
 * A statement the source spent much time on, from its statement statistics (since they were last
 * reset). The text is cut to {@link #TEXT_LIMIT} characters.
 */
public record TopStatement(String statement, long calls, double totalMillis, double meanMillis, long rows) {
  public static final int TEXT_LIMIT = 200;
}
