package dev.phaseshift.plan;

/**
 * A client seen on the source that will not move to the target, so its access there is not
 * checked. Every field that is given must match; one left out matches anything.
 *
 * @param user            the role it logs in as
 * @param address         its address as the source saw it (an IP address, a CIDR range such as
 *                        {@code 10.1.0.0/16}, or {@code local} for a Unix socket)
 * @param applicationName the {@code application_name} it sets
 * @param reason          why it is retired, for the audit trail and the report
 */
public record RetiredClient(String user, String address, String applicationName, String reason) {}
