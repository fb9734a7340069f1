package dev.phaseshift.model;

/**
 * An operator's word, while the migration runs, that a client seen on the source will not move to
 * the target, so the switchover no longer waits for the target to admit it. The same as the
 * plan's {@code retiredClients}, for a client found only once the run is under way.
 *
 * @param by              who retires it
 * @param user            the role it logs in as (optional)
 * @param database        the source database it uses (optional; it must be the migrated one)
 * @param address         its address as the source saw it, a CIDR range, or {@code local} (optional)
 * @param applicationName the {@code application_name} it sets (optional)
 * @param comment         why it will not move (required, for the audit trail and the report)
 */
public record ClientRetirement(String by, String user, String database, String address, String applicationName,
    String comment) {}
