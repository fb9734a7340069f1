package dev.phaseshift.model;

/**
 * Whether the target lets one client seen on the source in.
 *
 * @param admitted true when the target admits it, or the plan retired it
 * @param retired  true when the plan lists it under {@code retiredClients}
 * @param verdict  the rule that admits it, or what to change on the target so that it does
 */
public record ClientAdmission(ClientSeen client, boolean admitted, boolean retired, String verdict) {}
