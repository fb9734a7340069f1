package dev.phaseshift.plan;

/**
 * Whether sign-off of the switchover needs a recent, good rehearsal of the same plan.
 *
 * @param required whether an approval is refused without one (default false)
 * @param maxAge   how old the latest rehearsal may be (default {@value PlanDefaults#REHEARSAL_MAX_AGE});
 *                 it must also have passed validation and forecast a freeze within
 *                 {@code cutover.maxFreeze}
 */
public record RehearsalRequirement(Boolean required, String maxAge) {}
