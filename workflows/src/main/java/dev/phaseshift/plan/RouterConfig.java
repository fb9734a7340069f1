package dev.phaseshift.plan;

/**
 * How application traffic moves from source to target.
 *
 * <ul>
 *   <li>{@code manual} (default): the operator changes the application's connection string and
 *       sends the {@code connectionSwitched} signal.
 *   <li>{@code pgbouncer}: Phaseshift pauses the PgBouncer database entry, points it at the target,
 *       reloads and resumes; clients keep their connections.
 * </ul>
 *
 * @param adminUrl   PgBouncer admin console, e.g. {@code jdbc:postgresql://bouncer:6432/pgbouncer}
 * @param database   the entry in PgBouncer's {@code [databases]} section the application uses
 * @param configFile PgBouncer's ini file on the worker's host, whose entry is rewritten
 */
public record RouterConfig(String type, String adminUrl, String user, SecretRef password, String database,
    String configFile) {

  public static final String MANUAL = "manual";
  public static final String PGBOUNCER = "pgbouncer";

  public String typeOrDefault() {
    return type == null ? MANUAL : type;
  }
}
