package dev.phaseshift.plan;

import com.fasterxml.jackson.annotation.JsonIgnore;

/**
 * How each subscription (the target's forward one, the old database's reverse one) proves itself
 * to the other server. A subscription's connection string is kept in the subscriber's catalog
 * ({@code pg_subscription.subconninfo}), where a superuser's {@code pg_dump} prints it.
 *
 * @param method           {@value #STORED} (default): the password is written into the connection
 *                         string and removed as soon as the subscription no longer connects;
 *                         {@value #PASSFILE}: the connection string names a libpq password file on
 *                         the subscriber's server host and holds no password; {@value #NONE}: the
 *                         publisher admits the subscriber without a password in the connection string
 *                         (a client certificate or {@code ~/.pgpass} of the server's OS user, or a
 *                         {@code trust}/{@code cert} rule in its pg_hba)
 * @param passfileOnTarget with {@value #PASSFILE}: the file on the target's server host holding the
 *                         source's password (forward subscription)
 * @param passfileOnSource with {@value #PASSFILE} and reverse replication: the file on the source's
 *                         server host holding the target's password (reverse subscription)
 * @param writePassfiles   with {@value #PASSFILE}: the worker writes the files itself (only when it
 *                         runs on the servers' host as their OS user); default false, the DBA
 *                         provisions them
 */
public record SubscriptionAuth(String method, String passfileOnTarget, String passfileOnSource,
    Boolean writePassfiles) {
  public static final String STORED = "stored";
  public static final String PASSFILE = "passfile";
  public static final String NONE = "none";

  public static SubscriptionAuth stored() {
    return new SubscriptionAuth(STORED, null, null, false);
  }

  @JsonIgnore
  public String methodOrDefault() {
    return method == null ? STORED : method;
  }

  @JsonIgnore
  public boolean storesPassword() {
    return STORED.equals(methodOrDefault());
  }

  /** What PREPARE says about the plan's choice, in one sentence. */
  @JsonIgnore
  public String describe() {
    return switch (methodOrDefault()) {
      case PASSFILE -> "the subscriptions store no password: they read it from the password file "
          + passfileOnTarget + " on the target's host" + (passfileOnSource == null ? ""
              : " and " + passfileOnSource + " on the source's host")
          + (Boolean.TRUE.equals(writePassfiles) ? " (written by the worker)" : " (provisioned by the DBA)");
      case NONE -> "the subscriptions store no password: each server must admit the other without one"
          + " (client certificate or ~/.pgpass of the server's OS user, or a trust/cert rule in pg_hba)";
      default -> "the subscriptions store the other server's password in pg_subscription (where a"
          + " superuser's pg_dump prints it) until they stop connecting: the forward one until the"
          + " switchover, the reverse one until rollback or decommission; choose subscriptionAuth.method:"
          + " passfile to store none";
    };
  }
}
