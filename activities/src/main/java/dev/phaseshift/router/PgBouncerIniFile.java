package dev.phaseshift.router;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.engine.postgres.PgEndpoint;
import dev.phaseshift.plan.RouterConfig;
import dev.phaseshift.workflow.FailureTypes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;

/** PgBouncer's ini file on the worker's host, whose {@code [databases]} entry the router repoints. */
final class PgBouncerIniFile {
  private PgBouncerIniFile() {}

  /**
   * Rewrites the entry (see {@link DatabaseEntryRewrite}), then replaces the file atomically so
   * PgBouncer never reads half a file on RELOAD. Writing the same content twice changes nothing,
   * so a retry is safe.
   */
  static void pointEntryAt(RouterConfig r, PgEndpoint endpoint) {
    Path file;
    try {
      // Replace the file a symlink points at, not the symlink: packagers link pgbouncer.ini.
      file = Path.of(r.configFile()).toRealPath();
    } catch (IOException e) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "router.configFile " + r.configFile() + " cannot be read on the worker (" + e.getClass().getSimpleName()
              + "); give the path of PgBouncer's ini file on this host", e);
    }
    String original;
    try {
      original = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "cannot read " + file + " (" + e.getClass().getSimpleName() + "); let the worker read and write it", e);
    }
    String updated = DatabaseEntryRewrite.pointAt(original, r.database(), endpoint, file);
    if (updated.equals(original)) return;
    Path temp = null;
    try {
      temp = createPrivateFile(file.resolveSibling("." + file.getFileName() + "." + ProcessHandle.current().pid()
          + "." + System.nanoTime() + ".tmp"));
      Files.writeString(temp, updated, StandardCharsets.UTF_8);
      copyOwnership(file, temp);
      try {
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
      }
      temp = null;
    } catch (IOException e) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "cannot replace " + file + " (" + e.getClass().getSimpleName() + ": " + e.getMessage()
              + "); the worker needs write access to the file and its directory", e);
    } finally {
      if (temp != null) {
        try {
          Files.deleteIfExists(temp);
        } catch (IOException ignored) {
          // A leftover hidden temp file does not affect PgBouncer.
        }
      }
    }
  }

  /**
   * An empty file only its owner can read until {@link #copyOwnership} gives it the ini's mode (the
   * ini may hold passwords). Named by the caller rather than with Files.createTempFile, whose
   * first use in a process initialises SecureRandom, tens of milliseconds while clients are held.
   */
  private static Path createPrivateFile(Path path) throws IOException {
    try {
      return Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      return Files.createFile(path);
    }
  }

  /** PgBouncer may run as another user than the worker: the new file must stay readable to it. */
  private static void copyOwnership(Path from, Path to) throws IOException {
    PosixFileAttributeView fromView = Files.getFileAttributeView(from, PosixFileAttributeView.class);
    PosixFileAttributeView toView = Files.getFileAttributeView(to, PosixFileAttributeView.class);
    if (fromView == null || toView == null) return;
    PosixFileAttributes attrs = fromView.readAttributes();
    toView.setPermissions(attrs.permissions());
    try {
      toView.setGroup(attrs.group());
      toView.setOwner(attrs.owner());
    } catch (IOException e) {
      // Only root may give a file away; the copied permissions then keep it readable for a
      // PgBouncer that reads it through its group or world bits, as it did before.
    }
  }
}
