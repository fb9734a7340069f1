package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.SubscriptionAuth;
import dev.phaseshift.workflow.FailureTypes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
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
  static String conninfo(MigrationPlan plan, PgEndpoint publisher, boolean onTarget) {
    SubscriptionAuth auth = plan.subscriptionAuthOrDefault();
    return switch (auth.methodOrDefault()) {
      case SubscriptionAuth.PASSFILE -> {
        String path = onTarget ? auth.passfileOnTarget() : auth.passfileOnSource();
        if (Boolean.TRUE.equals(auth.writePassfiles())) write(Path.of(path), publisher);
        yield publisher.libpqConninfoWithoutPassword() + " passfile=" + PgEndpoint.quote(path);
      }
      case SubscriptionAuth.NONE -> publisher.libpqConninfoWithoutPassword();
      default -> publisher.libpqConninfo();
    };
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

  /**
   * Writes (or updates) the publisher's line in a password file on this host, readable by its
   * owner only, as libpq requires. Other lines stay: forward and reverse may share one file.
   */
  private static void write(Path file, PgEndpoint publisher) {
    String line = publisher.passfileLine();
    if (line == null) return;
    String key = line.substring(0, keyLength(line));
    try {
      List<String> lines = new ArrayList<>();
      if (Files.exists(file)) {
        for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) {
          if (!l.startsWith(key)) lines.add(l);
        }
      }
      lines.add(line);
      Path dir = file.toAbsolutePath().getParent();
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, ".phaseshift-pgpass", ".tmp",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.write(tmp, lines, StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | UnsupportedOperationException e) {
      throw new MigrationException(FailureTypes.PREREQUISITE, "cannot write the password file " + file
          + " (subscriptionAuth.writePassfiles): " + e.getMessage() + "; the worker must run on the subscriber's"
          + " server host, or the DBA provisions the file and writePassfiles stays false");
    }
  }

  /** Up to and including the fourth unescaped colon: host, port, database and user. */
  private static int keyLength(String line) {
    int colons = 0;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '\\') {
        i++;
      } else if (c == ':' && ++colons == 4) {
        return i + 1;
      }
    }
    return line.length();
  }
}
