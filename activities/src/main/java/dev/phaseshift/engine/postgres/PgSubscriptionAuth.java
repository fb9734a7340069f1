package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.Finding;
import dev.phaseshift.model.Severity;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.SubscriptionAuth;
import dev.phaseshift.workflow.FailureTypes;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection string a subscription keeps in {@code pg_subscription.subconninfo}, where a
 * superuser's pg_dump prints it, per the plan's {@code subscriptionAuth}: with {@code passfile}
 * it names a password file on the subscriber's server host instead of holding the password,
 * with {@code none} it holds no credential at all, and with {@code stored} it holds the password
 * only while the subscription still connects.
 */
final class PgSubscriptionAuth {
  private static final Logger log = LoggerFactory.getLogger(PgSubscriptionAuth.class);

  private PgSubscriptionAuth() {}

  /**
   * The connection string for a subscription on {@code subscriber} to reach {@code publisher}.
   * Goes straight into CREATE SUBSCRIPTION; with {@code stored} it holds the password.
   *
   * @param onTarget whether the subscriber is the target (forward) or the source (reverse)
   */
  static String conninfo(Connection subscriber, MigrationPlan plan, PgEndpoint publisher, boolean onTarget)
      throws SQLException {
    SubscriptionAuth auth = plan.subscriptionAuthOrDefault();
    return switch (auth.methodOrDefault()) {
      case SubscriptionAuth.PASSFILE -> {
        String path = onTarget ? auth.passfileOnTarget() : auth.passfileOnSource();
        if (Boolean.TRUE.equals(auth.writePassfiles())) PgPassfile.write(subscriber, Path.of(path), publisher);
        // Said before CREATE SUBSCRIPTION, which would only report the publisher refusing the login.
        String unreadable = PgPassfile.unreadable(subscriber, path);
        if (unreadable != null) {
          throw new MigrationException(FailureTypes.PREREQUISITE, "the " + (onTarget ? "target" : "source")
              + "'s subscription cannot use its password file: " + unreadable);
        }
        yield publisher.libpqConninfoWithoutPassword() + " passfile=" + PgEndpoint.quote(path);
      }
      case SubscriptionAuth.NONE -> publisher.libpqConninfoWithoutPassword();
      default -> publisher.libpqConninfo();
    };
  }

  /**
   * PREPARE's word on what the plan's choice needs of a subscriber, before anything is created:
   * from PostgreSQL 16 a subscription without a password in its connection string needs
   * {@code password_required = false}, which only a superuser may set; and a password file the
   * DBA provisions must be one the subscriber's server can open (checked by that server, as its
   * OS user). A file the worker writes itself is checked when it writes it.
   *
   * @param onTarget the forward subscription's side (the target), else the reverse one's (the source)
   */
  static void findings(Connection subscriber, MigrationPlan plan, boolean onTarget, List<Finding> findings)
      throws SQLException {
    SubscriptionAuth auth = plan.subscriptionAuthOrDefault();
    if (auth.storesPassword() || (!onTarget && !Boolean.TRUE.equals(plan.reverseReplication()))) return;
    String side = onTarget ? "target" : "source";
    boolean superuser = Boolean.TRUE.equals(Sql.one(subscriber,
        "SELECT rolsuper FROM pg_roles WHERE rolname = current_user", rs -> rs.getBoolean(1)));
    int version = Sql.one(subscriber, "SELECT current_setting('server_version_num')::int", rs -> rs.getInt(1));
    if (version >= 160000 && !superuser) {
      findings.add(new Finding(Severity.BLOCKER, "subscription_password_required", side,
          "subscriptionAuth.method " + auth.methodOrDefault() + " creates the " + (onTarget ? "forward" : "reverse")
              + " subscription on the " + side + " without a password, which from PostgreSQL 16 needs"
              + " password_required = false, and only a superuser may set it; run the " + side + "'s migration role as"
              + " a superuser, or choose subscriptionAuth.method: stored (the password is then removed from the"
              + " catalog once the subscription stops)"));
    }
    if (!SubscriptionAuth.PASSFILE.equals(auth.methodOrDefault()) || Boolean.TRUE.equals(auth.writePassfiles())) return;
    String path = onTarget ? auth.passfileOnTarget() : auth.passfileOnSource();
    if (path == null) return;
    String unreadable = PgPassfile.unreadable(subscriber, path);
    if (unreadable != null) {
      findings.add(new Finding(Severity.BLOCKER, "subscription_passfile", side,
          unreadable + ", with the line host:port:database:user:password for the "
              + (onTarget ? "source" : "target") + " (see subscriptionAuth in the README)"));
    }
  }

  /**
   * Options CREATE SUBSCRIPTION needs for the plan's choice: from PostgreSQL 16 a subscription
   * must hold a password unless {@code password_required} is off, which only a superuser may set.
   */
  static String options(Connection subscriber, MigrationPlan plan) throws SQLException {
    if (plan.subscriptionAuthOrDefault().storesPassword()) return "";
    int version = Sql.one(subscriber, "SELECT current_setting('server_version_num')::int", rs -> rs.getInt(1));
    return version >= 160000 ? ", password_required = false" : "";
  }

  /**
   * Takes a stored password out of a subscription that no longer connects (the forward one after
   * the switchover, the reverse one after a rollback), so dumps of that database stop revealing
   * it. Best effort: the subscription is dropped at decommission in any case.
   */
  static void forgetPassword(Connection subscriber, MigrationPlan plan, String subscription, PgEndpoint publisher) {
    if (!plan.subscriptionAuthOrDefault().storesPassword()) return;
    try {
      if (Sql.one(subscriber, "SELECT 1 FROM pg_subscription WHERE subname = ?", rs -> 1, subscription) == null) return;
      Sql.exec(subscriber, "ALTER SUBSCRIPTION " + Sql.ident(subscription) + " CONNECTION "
          + Sql.literal(publisher.libpqConninfoWithoutPassword()));
      log.info("subscription {} no longer connects; its stored password was removed", subscription);
    } catch (SQLException e) {
      log.warn("could not remove the stored password of subscription {} ({}); it goes at decommission",
          subscription, PgEndpoint.redact(e.getMessage()));
    }
  }
}
