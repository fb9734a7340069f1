package dev.phaseshift.worker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.stream.Stream;

/**
 * CPU time a local PostgreSQL server has used, from /proc: its postmaster's own and that of its
 * exited children (the kernel adds those once reaped), plus its live children. Linux only; 0
 * elsewhere, so a benchmark shows the workers' part alone rather than failing.
 */
final class ServerCpu {
  /** USER_HZ, which /proc reports times in; 100 on every Linux architecture this runs on. */
  private static final long TICK_NANOS = 10_000_000L;

  private ServerCpu() {}

  /** Closes {@code connection} after reading where the server keeps its postmaster.pid. */
  static long nanos(Connection connection) throws Exception {
    String dataDirectory;
    try (connection; Statement s = connection.createStatement(); ResultSet rs = s.executeQuery("SHOW data_directory")) {
      rs.next();
      dataDirectory = rs.getString(1);
    }
    Path pidFile = Path.of(dataDirectory, "postmaster.pid");
    if (!Files.isReadable(pidFile) || !Files.isDirectory(Path.of("/proc"))) return 0;
    long postmaster = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
    long ticks = 0;
    try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
      for (Path p : (Iterable<Path>) processes::iterator) {
        if (!p.getFileName().toString().chars().allMatch(Character::isDigit)) continue;
        String[] f = fields(p.resolve("stat"));
        if (f == null) continue;
        long pid = Long.parseLong(p.getFileName().toString());
        // Fields after the command: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
        if (pid == postmaster) {
          ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
        } else if (Long.parseLong(f[1]) == postmaster) {
          ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
        }
      }
    }
    return ticks * TICK_NANOS;
  }

  /** The stat fields after the command name, which may itself hold spaces; null once the process is gone. */
  private static String[] fields(Path stat) {
    try {
      String line = Files.readString(stat);
      return line.substring(line.lastIndexOf(')') + 2).split(" ");
    } catch (IOException | RuntimeException gone) {
      return null;
    }
  }
}
