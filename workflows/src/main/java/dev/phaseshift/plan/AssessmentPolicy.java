package dev.phaseshift.plan;

/**
 * How PREPARE (and {@code phaseshift assess}) measures the source's workload.
 *
 * @param sample how long the activity statistics are watched to tell reads from writes, the change
 *               rate and the growth (default {@value PlanDefaults#ASSESSMENT_SAMPLE}); {@code 0s}
 *               skips the sampling and reports sizes only
 */
public record AssessmentPolicy(String sample) {}
