package dev.phaseshift.model;

/**
 * One group of the source's client sessions as the assessment saw them, with what the target
 * would say to it.
 *
 * @param application the application name the client sent; for most drivers also the driver's
 *                    name (e.g. "PostgreSQL JDBC Driver"), since the server learns no version
 * @param tls         the protocol version when its sessions are encrypted, else null
 * @param admitted    whether the target would admit it (or the plan retired it)
 * @param access      the rule that admits it, or what to change on the target so it does
 */
public record ClientProfile(String user, String address, String application, String tls, int sessions,
    boolean admitted, String access) {}
