package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.FailureTypes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The new server's data directory on the target host and Phaseshift's claim on it. pg_basebackup
 * only writes into an absent or empty directory, so the claim cannot be a file inside it before the
 * copy: it is a file beside it ({@code .<name>.phaseshift-seed} in the parent), written before any
 * tool runs and naming the migration and how far the seeding got; a copy of it goes into the data
 * directory ({@value #INSIDE}) once the copy is there. Undo and retries remove a directory only when
 * one of them names this migration, so a directory someone else made is never touched.
 */
final class SeedDirectory {
  static final String INSIDE = "phaseshift_seed";

  /** How far a seeding got; written before each stage starts. */
  enum Stage { COPYING, CONVERTING, CONVERTED }

  /** The directory's state as a seeding of this migration sees it. */
  enum State { ABSENT, EMPTY, OURS, FOREIGN }

  private final Path data;
  private final String migration;

  SeedDirectory(MigrationPlan plan) {
    this.data = Path.of(plan.seedingOrDefault().dataDirectory()).toAbsolutePath().normalize();
    this.migration = plan.objectName();
  }

  Path data() {
    return data;
  }

  Path parent() {
    return data.getParent();
  }

  private Path beside(String suffix) {
    return parent().resolve("." + data.getFileName() + ".phaseshift-seed" + suffix);
  }

  Path claim() {
    return beside("");
  }

  /** The process ids of the tools a seeding started, so a retry after a dead worker can end them. */
  Path pids() {
    return beside(".pids");
  }

  /** The temporary password file of the tools' own connections (mode 0600, removed after the tools ran). */
  Path passfile() {
    return beside(".pgpass");
  }

  /** The new server's log, beside its data directory so that removing the directory keeps it. */
  Path serverLog() {
    return parent().resolve(data.getFileName() + ".log");
  }

  State state() {
    if (!Files.exists(data)) return ownClaim() ? State.OURS : State.ABSENT;
    if (ownClaim() || migration.equals(read(data.resolve(INSIDE)).orElse(null))) return State.OURS;
    if (!Files.isDirectory(data)) return State.FOREIGN;
    try (Stream<Path> entries = Files.list(data)) {
      return entries.findAny().isPresent() ? State.FOREIGN : State.EMPTY;
    } catch (IOException e) {
      return State.FOREIGN;
    }
  }

  /** The stage this migration's seeding reached, empty when it has no claim here. */
  Optional<Stage> stage() {
    Optional<String> text = read(claim());
    if (text.isEmpty()) return Optional.empty();
    List<String> lines = text.get().lines().toList();
    if (lines.size() < 2 || !lines.get(0).equals("migration=" + migration)) return Optional.empty();
    return Optional.of(Stage.valueOf(lines.get(1).substring("stage=".length())));
  }

  /** The change stream's first position, recorded once the conversion made the slot; empty before. */
  Optional<String> start() {
    return read(claim()).flatMap(t -> t.lines().filter(l -> l.startsWith("start=")).findFirst())
        .map(l -> l.substring("start=".length()));
  }

  /** Records the stream's first position with the CONVERTED stage, so every retry returns the same anchor. */
  void converted(String start) {
    write(claim(), "migration=" + migration + "\nstage=" + Stage.CONVERTED + "\nstart=" + start + "\n");
  }

  private boolean ownClaim() {
    return read(claim()).map(t -> t.startsWith("migration=" + migration + "\n")).orElse(false);
  }

  /** Records the stage about to start; the first call claims the directory. */
  void enter(Stage stage) {
    write(claim(), "migration=" + migration + "\nstage=" + stage + "\n");
    if (stage == Stage.CONVERTING && Files.isDirectory(data)) write(data.resolve(INSIDE), migration);
  }

  /**
   * Removes the data directory, the claim and the files beside it, when they are this migration's;
   * a directory without its marker is left alone and named in the exception.
   */
  void remove() {
    State state = state();
    if (state == State.FOREIGN) {
      throw new MigrationException(FailureTypes.PREREQUISITE, "the data directory " + data + " was not made by"
          + " migration " + migration + " (no " + INSIDE + " file in it naming it, no " + claim().getFileName()
          + " beside it), so Phaseshift leaves it alone; remove it yourself if it is the seeding's leftover");
    }
    try {
      if (state == State.OURS) deleteTree(data);
      Files.deleteIfExists(passfile());
      Files.deleteIfExists(pids());
      Files.deleteIfExists(claim());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove the data directory " + data, e);
    }
  }

  /** Removes what a dead attempt copied, keeping the claim: the directory stays this migration's. */
  void emptyOurs() {
    try {
      if (Files.exists(data)) deleteTree(data);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove the partial copy in " + data, e);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }

  static Optional<String> read(Path file) {
    try {
      return Files.isRegularFile(file) ? Optional.of(Files.readString(file, StandardCharsets.UTF_8))
          : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Written whole or not at all (a file in the same directory renamed over it), readable by its owner only. */
  static void write(Path file, String text) {
    try {
      Path tmp = Files.createTempFile(file.getParent(), ".phaseshift", ".tmp",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      try {
        Files.writeString(tmp, text, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
