package dev.phaseshift.model;

/** A top statement of the source, its mean time there and its mean time on the new primary during one sample. */
public record StatementLatency(String query, double sourceMeanMillis, double meanMillis, long calls) {
  public double ratio() {
    return sourceMeanMillis <= 0 ? 0 : meanMillis / sourceMeanMillis;
  }
}
