package dev.phaseshift.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The target host of a physically seeded test migration: PostgreSQL's tools of one major, and a
 * directory for the new data directory owned by the user servers run as here. Servers and
 * pg_createsubscriber refuse root, and CI runs as root: then tools are the copy everyone may read
 * and the directory belongs to {@code nobody}, as for {@link BinDirPostgres}'s servers.
 */
public final class SeedingHost {
  private SeedingHost() {}

  /** The bin directory of this major's tools, readable by the servers' user; empty when there is none. */
  public static Optional<Path> tools(int major) {
    Optional<Path> bin = PgServerVersions.binDir(major);
    if (bin.isEmpty() || !"root".equals(System.getProperty("user.name"))) return bin;
    try {
      return Optional.of(BinDirPostgres.readableCopy(bin.get()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A new directory the servers' user owns, to hold a data directory. */
  public static Path parentDirectory() {
    try {
      Path dir = Files.createTempDirectory("phaseshift-seed-");
      if ("root".equals(System.getProperty("user.name"))) {
        Files.setAttribute(dir, "unix:uid", BinDirPostgres.NOBODY);
        Files.setAttribute(dir, "unix:gid", BinDirPostgres.NOBODY);
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Removes a directory made by {@link #parentDirectory()} with everything in it. */
  public static void delete(Path dir) {
    if (!Files.exists(dir)) return;
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
