package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.workflow.FailureTypes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The libpq password file a subscription names instead of holding a password. The subscription's
 * apply worker is a process of the subscriber's server, so the file is read by the server's OS user
 * (often {@code postgres}), never by the worker's: it must be owned by that user and readable by
 * nobody else (libpq ignores a file that group or others may read), in directories it may enter.
 */
final class PgPassfile {
  private PgPassfile() {}

  /**
   * Writes (or updates) the publisher's line in the file on this host, mode 0600 and owned by the
   * OS user the subscriber's server runs as (the owner of its data directory). Other lines stay:
   * forward and reverse may share one file. Works when the worker runs on the subscriber's host as
   * that user or as root; otherwise fails naming what to do instead.
   */
  static void write(Connection subscriber, Path file, PgEndpoint publisher) {
    String line = publisher.passfileLine();
    if (line == null) return;
    UserPrincipal serverUser = serverUser(subscriber, file);
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
      try {
        Files.write(tmp, lines, StandardCharsets.UTF_8);
        if (!Files.getOwner(tmp).equals(serverUser)) Files.setOwner(tmp, serverUser);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      throw new MigrationException(FailureTypes.PREREQUISITE, "cannot write the password file " + file
          + " for the server's OS user " + serverUser.getName() + " (subscriptionAuth.writePassfiles): " + e
          + "; the worker must run on the subscriber's server host as that user or as root, or the DBA"
          + " provisions the file and writePassfiles stays false");
    }
  }

  /**
   * Fails unless the subscriber's server can open the file, checked by the server itself
   * ({@code pg_read_binary_file} with length 0 opens it as the server's OS user and returns
   * nothing of it). Skipped when the subscriber's role may not call that function (superuser or
   * pg_read_server_files): then a file the server cannot read shows as the publisher refusing
   * the subscription's login.
   *
   * @return a sentence saying why the file is not usable, or null when it is or cannot be checked
   */
  static String unreadable(Connection subscriber, String file) throws SQLException {
    boolean may = Boolean.TRUE.equals(Sql.one(subscriber,
        "SELECT rolsuper OR pg_has_role(current_user, 'pg_read_server_files', 'USAGE') FROM pg_roles"
            + " WHERE rolname = current_user", rs -> rs.getBoolean(1)));
    if (!may) return null;
    try {
      Sql.one(subscriber, "SELECT pg_read_binary_file(?, 0, 0)", rs -> 1, file);
      return null;
    } catch (SQLException e) {
      if (!"58P01".equals(e.getSQLState()) && !"42501".equals(e.getSQLState())) throw e;
      return "the server cannot read the password file " + file + " (" + PgEndpoint.redact(e.getMessage())
          + "): put it on this server's host, owned by the OS user the server runs as, mode 0600,"
          + " in directories that user may enter";
    }
  }

  /** The owner of the subscriber's data directory, which must be on this host to write the file here. */
  private static UserPrincipal serverUser(Connection subscriber, Path file) {
    try {
      String dataDirectory = Sql.one(subscriber, "SELECT current_setting('data_directory')", rs -> rs.getString(1));
      Path data = Path.of(dataDirectory);
      if (!Files.isDirectory(data)) {
        throw new MigrationException(FailureTypes.PREREQUISITE, "cannot write the password file " + file
            + " (subscriptionAuth.writePassfiles): the subscriber's data directory " + dataDirectory
            + " is not on the worker's host; the DBA provisions the file on the server's host and writePassfiles"
            + " stays false");
      }
      return Files.getOwner(data);
    } catch (SQLException | IOException e) {
      throw new MigrationException(FailureTypes.PREREQUISITE, "cannot tell which OS user the subscriber's server"
          + " runs as, to give it the password file " + file + " (subscriptionAuth.writePassfiles): "
          + PgEndpoint.redact(String.valueOf(e.getMessage())) + "; the subscriber's role needs superuser or"
          + " pg_read_all_settings, or the DBA provisions the file and writePassfiles stays false");
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
