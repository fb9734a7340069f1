package dev.phaseshift.model;

/**
 * A statement slower on the new primary than it was on the source, with both plans.
 *
 * @param sourcePlan the generic plan on the source (parameters unknown), or null when none could be made
 * @param targetPlan the generic plan on the new primary, or null
 * @param planNote   how the plans were made, or why they could not be
 */
public record SlowerStatement(String query, double sourceMeanMillis, double targetMeanMillis, long targetCalls,
    String sourcePlan, String targetPlan, String planNote) {
  public double ratio() {
    return sourceMeanMillis <= 0 ? 0 : targetMeanMillis / sourceMeanMillis;
  }
}
