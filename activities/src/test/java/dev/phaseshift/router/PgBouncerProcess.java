package dev.phaseshift.router;

import dev.phaseshift.engine.postgres.PgTools;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real PgBouncer on a free loopback port, running in the foreground as a child of the test JVM,
 * with its ini file in a temporary directory. Fails (never skips) when PgBouncer is not installed.
 */
final class PgBouncerProcess implements AutoCloseable {
  final Path dir;
  final Path ini;
  final Path log;
  final int port;
  private final Process process;

  private PgBouncerProcess(Path dir, Path ini, Path log, int port, Process process) {
    this.dir = dir;
    this.ini = ini;
    this.log = log;
    this.port = port;
    this.process = process;
  }

  static Path binary() {
    List<Path> candidates = new ArrayList<>();
    String path = System.getenv("PATH");
    if (path != null) {
      for (String p : path.split(java.io.File.pathSeparator)) if (!p.isBlank()) candidates.add(Path.of(p, "pgbouncer"));
    }
    // Debian installs it to /usr/sbin, which is not on a normal user's PATH.
    candidates.add(Path.of("/usr/sbin/pgbouncer"));
    candidates.add(Path.of("/usr/bin/pgbouncer"));
    candidates.add(Path.of("/usr/local/bin/pgbouncer"));
    for (Path p : candidates) if (Files.isExecutable(p)) return p;
    throw new AssertionError("pgbouncer is not installed (looked on PATH, /usr/sbin, /usr/bin, /usr/local/bin);"
        + " install it with: apt-get install pgbouncer");
  }

  /**
   * @param databases the [databases] section's lines, e.g. {@code app = host=127.0.0.1 port=5432 dbname=app}
   */
  static PgBouncerProcess start(Path dir, String poolMode, String... databases) throws Exception {
    return start(dir, poolMode, List.of(), databases);
  }

  /**
   * @param users further auth_file lines, e.g. {@code "shop_app" "its password"}: PgBouncer logs in
   *     to the server as that user with that password
   */
  static PgBouncerProcess start(Path dir, String poolMode, List<String> users, String... databases)
      throws Exception {
    Path binary = binary();
    int port = freePort();
    Path userlist = dir.resolve("userlist.txt");
    Files.writeString(userlist, "\"postgres\" \"\"\n" + String.join("", users.stream().map(u -> u + "\n").toList()));
    Path ini = dir.resolve("pgbouncer.ini");
    StringBuilder s = new StringBuilder();
    s.append(";; written by PgBouncerProcess for a test\n");
    s.append("[databases]\n");
    for (String d : databases) s.append(d).append('\n');
    s.append("\n[pgbouncer]\n")
        .append("listen_addr = 127.0.0.1\n")
        .append("listen_port = ").append(port).append('\n')
        .append("unix_socket_dir =\n")
        .append("auth_type = trust\n")
        .append("auth_file = ").append(userlist).append('\n')
        .append("admin_users = postgres\n")
        .append("pool_mode = ").append(poolMode).append('\n')
        .append("default_pool_size = 8\n")
        .append("max_client_conn = 100\n")
        // The JDBC driver sends it on every connection, the admin console's included.
        .append("ignore_startup_parameters = extra_float_digits\n")
        .append("server_login_retry = 1\n")
        .append("; the end\n");
    Files.writeString(ini, s.toString());
    Path log = dir.resolve("pgbouncer.log");
    List<String> command = new ArrayList<>(List.of(binary.toString()));
    if ("root".equals(System.getProperty("user.name"))) {
      // PgBouncer refuses to run as root; -u drops to an unprivileged user, which must be able
      // to read the ini and auth files again on every RELOAD.
      command.add("-u");
      command.add("nobody");
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
      Files.setPosixFilePermissions(ini, PosixFilePermissions.fromString("rw-r--r--"));
      Files.setPosixFilePermissions(userlist, PosixFilePermissions.fromString("rw-r--r--"));
    }
    command.add(ini.toString());
    Process process = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    PgBouncerProcess bouncer = new PgBouncerProcess(dir, ini, log, port, process);
    long deadline = System.currentTimeMillis() + 15_000;
    while (true) {
      if (!process.isAlive()) {
        throw new AssertionError("pgbouncer exited with " + process.exitValue() + ":\n" + Files.readString(log));
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return bouncer;
      } catch (IOException e) {
        if (System.currentTimeMillis() > deadline) {
          bouncer.close();
          throw new AssertionError("pgbouncer did not listen on " + port + ":\n" + Files.readString(log));
        }
        Thread.sleep(50);
      }
    }
  }

  String adminUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/pgbouncer";
  }

  String jdbcUrl(String database) {
    // Transaction pooling: server-side prepared statements cannot follow a client across servers.
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?preferQueryMode=simple";
  }

  String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** SHOW DATABASES' paused column for the entry, read with psql as an operator would. */
  String paused(PgTools tools, String database) {
    String out = tools.run(List.of(tools.installations().get(0).psql().toString(), "-X", "-A", "-t", "-F", "|",
        "-c", "SHOW DATABASES"), Map.of("PGHOST", "127.0.0.1", "PGPORT", Integer.toString(port),
        "PGUSER", "postgres", "PGDATABASE", "pgbouncer"), null).stdout();
    for (String line : out.split("\n")) {
      if (line.startsWith(database + "|")) return line.split("\\|", -1)[11];
    }
    throw new AssertionError("no entry " + database + " in SHOW DATABASES:\n" + out);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(5, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(5, TimeUnit.SECONDS);
    }
  }
}
