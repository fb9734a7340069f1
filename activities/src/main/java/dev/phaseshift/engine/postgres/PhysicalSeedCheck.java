package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.Finding;
import dev.phaseshift.model.Severity;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.Seeding;
import dev.phaseshift.workflow.FailureTypes;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * PREPARE's checks of physical seeding that need the target host, run there by the seeding queue's
 * worker: the tools of the source's major version, an absent or empty data directory (or the one
 * this migration is seeding already), its parent writable by a user PostgreSQL runs as, the target's
 * port free and room on the disk for the whole cluster. Changes nothing.
 */
final class PhysicalSeedCheck {
  /** Beyond the databases' size: the WAL streamed during the copy and the conversion's checkpoints. */
  static final long MARGIN_BYTES = 512L << 20;

  private final PgTools tools;

  PhysicalSeedCheck(PgTools tools) {
    this.tools = tools;
  }

  List<Finding> check(MigrationPlan plan) {
    List<Finding> findings = new ArrayList<>();
    Seeding seeding = plan.seedingOrDefault();
    if (seeding.dataDirectory() == null || !Path.of(seeding.dataDirectory()).isAbsolute()) {
      findings.add(blocker("seeding_data_directory", "seeding.dataDirectory", "physical seeding needs"
          + " seeding.dataDirectory, an absolute path on the target host for the new server's data directory"));
      return findings;
    }
    int major;
    long clusterBytes;
    try (PgSession s = PgSession.open(PgEndpoint.source(plan))) {
      major = PgTools.serverMajor(s.one("reading the source's version",
          "SELECT current_setting('server_version_num')::int", rs -> rs.getInt(1)));
      clusterBytes = s.one("measuring the source's cluster",
          "SELECT sum(pg_database_size(oid))::bigint FROM pg_database", rs -> rs.getLong(1));
    }
    toolFindings(seeding, major, findings);
    SeedDirectory dir = new SeedDirectory(plan);
    SeedDirectory.State state = dir.state();
    if (state == SeedDirectory.State.FOREIGN) {
      findings.add(blocker("seeding_data_directory_not_empty", "seeding.dataDirectory", dir.data()
          + " exists and is not empty, and no earlier attempt of this migration made it; pg_basebackup writes"
          + " only into an absent or empty directory: remove it or choose another seeding.dataDirectory"));
    }
    parentFindings(dir, findings);
    PgEndpoint target = PgEndpoint.target(plan);
    boolean ownServer = state == SeedDirectory.State.OURS && Files.isDirectory(dir.data())
        && new SeedTools(Path.of("/"), dir).serverRunning();
    if (!ownServer && listening(target.host(), target.port())) {
      findings.add(blocker("seeding_port_taken", "target port", "something already listens on " + target.host()
          + ":" + target.port() + ", where the new server is to listen (the target url's port); stop it, or"
          + " give the target url a free port"));
    }
    if (state != SeedDirectory.State.OURS && Files.isDirectory(dir.parent())) diskFindings(dir, clusterBytes, findings);
    return findings;
  }

  /** The plan's bin directory, or the worker's own tools of the source's major. */
  Optional<Path> bin(Seeding seeding, int major) {
    if (seeding.binDirectory() != null) {
      Path bin = Path.of(seeding.binDirectory());
      return SeedTools.major(bin).filter(m -> m == major).map(m -> bin);
    }
    Set<Path> dirs = new LinkedHashSet<>();
    for (PgTools.Installation inst : tools.installations()) dirs.add(inst.pgDump().getParent());
    for (Path dir : dirs) {
      if (SeedTools.major(dir).filter(m -> m == major).isPresent()) return Optional.of(dir);
    }
    return Optional.empty();
  }

  /** The bin directory for the seeding itself, which fails where the check would have found a blocker. */
  Path binOrFail(Seeding seeding, int major) {
    return bin(seeding, major).orElseThrow(() -> new MigrationException(FailureTypes.PREREQUISITE,
        toolsMessage(seeding, major)));
  }

  private void toolFindings(Seeding seeding, int major, List<Finding> findings) {
    if (major < 17) {
      findings.add(blocker("seeding_source_version", "source version", "the source runs PostgreSQL " + major
          + ", and pg_createsubscriber, which turns the physical copy into a subscriber, needs 17 or later on both"
          + " sides; upgrade the source first or use seeding.method: logical"));
      return;
    }
    if (bin(seeding, major).isEmpty()) {
      findings.add(blocker("seeding_tools", "target host tools", toolsMessage(seeding, major)));
    }
  }

  private static String toolsMessage(Seeding seeding, int major) {
    String where = seeding.binDirectory() == null ? "the worker's usual places ($" + PgTools.BIN_ENV
        + ", /usr/lib/postgresql/*/bin, the PyPI package " + PipPostgres.PACKAGE + ", PATH)"
        : "seeding.binDirectory " + seeding.binDirectory();
    return "no " + String.join(", ", SeedTools.NEEDED) + " of PostgreSQL " + major + " (the source's major version)"
        + " in " + where + " on the target host; install PostgreSQL " + major + "'s server package there, or set"
        + " seeding.binDirectory to its bin directory";
  }

  private static void parentFindings(SeedDirectory dir, List<Finding> findings) {
    Path parent = dir.parent();
    if (!Files.isDirectory(parent)) {
      findings.add(blocker("seeding_parent_missing", "seeding.dataDirectory", parent + " does not exist on the"
          + " target host; create it, owned by the operating-system user the new server is to run as"));
      return;
    }
    if (SeedTools.root()) {
      int[] owner = SeedTools.owner(parent);
      boolean ownerWrites;
      try {
        ownerWrites = Files.getPosixFilePermissions(parent).contains(PosixFilePermission.OWNER_WRITE);
      } catch (IOException e) {
        ownerWrites = false;
      }
      if (owner[0] == 0 || !ownerWrites) {
        findings.add(blocker("seeding_parent_owner", "seeding.dataDirectory", parent + " is owned by "
            + (owner[0] == 0 ? "root" : "uid " + owner[0] + " without write permission") + "; the worker runs the"
            + " tools and the server as the owner of the data directory's parent, and PostgreSQL refuses to run as"
            + " root: chown it to the user the new server is to run as (postgres, say) and let that user write it"));
      }
    } else if (!Files.isWritable(parent)) {
      findings.add(blocker("seeding_parent_owner", "seeding.dataDirectory", parent + " is not writable by the"
          + " worker's user " + System.getProperty("user.name") + ", which runs the tools and the new server; run"
          + " the seeding worker as the directory's owner, or chown it to the worker's user"));
    }
  }

  private static void diskFindings(SeedDirectory dir, long clusterBytes, List<Finding> findings) {
    try {
      long free = Files.getFileStore(dir.parent()).getUsableSpace();
      long needed = clusterBytes + clusterBytes / 10 + MARGIN_BYTES;
      if (free < needed) {
        findings.add(blocker("seeding_disk_space", "target host disk", dir.parent() + " has " + mib(free)
            + " MiB free, and the copy of the source's whole cluster (" + mib(clusterBytes) + " MiB) needs about "
            + mib(needed) + " MiB with the WAL streamed meanwhile; free space there or choose another"
            + " seeding.dataDirectory"));
      }
    } catch (IOException e) {
      findings.add(blocker("seeding_disk_space", "target host disk", "cannot read the free space of "
          + dir.parent() + ": " + e.getMessage()));
    }
  }

  private static long mib(long bytes) {
    return bytes >> 20;
  }

  /** Whether something accepts connections there (a server this migration did not start). */
  static boolean listening(String host, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 2000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static Finding blocker(String code, String subject, String message) {
    return new Finding(Severity.BLOCKER, code, subject, message);
  }
}
