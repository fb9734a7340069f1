package dev.phaseshift.model;

/**
 * Whether the target lets one client seen on the source in.
 *
 * @param admitted true when the target admits it, or the plan retired it
 * @param retired  true when the plan lists it under {@code retiredClients}
 * @param verdict  the rule that admits it, or what to change on the target so that it does, or
 *                 (starting with {@value #UNDECIDED}) which rule the worker cannot judge and how to settle it
 */
public record ClientAdmission(ClientSeen client, boolean admitted, boolean retired, String verdict) {
  /** How a verdict begins when the deciding rule depends on what only the target's host knows. */
  public static final String UNDECIDED = "cannot decide: ";

  /** Not admitted, but not refused either: a warning for the operator, not a blocker. */
  public boolean undecided() {
    return !admitted && verdict != null && verdict.startsWith(UNDECIDED);
  }
}
