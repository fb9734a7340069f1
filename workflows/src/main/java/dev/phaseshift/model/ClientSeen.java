package dev.phaseshift.model;

/**
 * One kind of client the source has seen during the migration: sessions of one user, database,
 * address, application name and encryption, merged over every time the source was sampled.
 *
 * @param address      the client's address as the source saw it, or {@code local} for a socket
 * @param encrypted    whether its sessions used TLS
 * @param firstSeen    when a sample first saw it (ISO-8601, like every time in the model)
 * @param samples      how many samples saw it
 * @param peakSessions the most sessions of this kind one sample saw
 */
public record ClientSeen(String user, String database, String address, String applicationName, boolean encrypted,
    String firstSeen, String lastSeen, long samples, int peakSessions) {

  /** E.g. "app@shop from 10.0.0.7 (billing, TLS)". */
  public String label() {
    String app = applicationName == null || applicationName.isEmpty() ? "" : applicationName + ", ";
    return user + "@" + database + " from " + address + " (" + app + (encrypted ? "TLS" : "no TLS") + ")";
  }
}
