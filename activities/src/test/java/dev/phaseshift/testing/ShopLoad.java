package dev.phaseshift.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The application a migration must not disturb: the shop workload (resources {@code appload/})
 * run by a real pgbench process at a fixed rate, every transaction tried once, failures counted by
 * pgbench itself. A deadlock, lock timeout, serialization failure or any other error shows up in
 * its report, so "0 failed" is what the application saw.
 */
public final class ShopLoad implements AutoCloseable {
  /** The scripts and their weights: orders, payments and restocking, as a shop runs them. */
  private static final List<String> SCRIPTS = List.of("order.sql@5", "payment.sql@3", "restock.sql@2");
  private static final Pattern FAILED = Pattern.compile("number of failed transactions: (\\d+)");
  private static final Pattern PROCESSED = Pattern.compile("number of transactions actually processed: (\\d+)");

  private final Process process;
  private final Path output;

  /** What pgbench reported, with its whole output for assertion messages. */
  public record Result(int exitCode, long processed, long failed, boolean aborted, String output) {
    /** The application saw no error at all. */
    public boolean clean() {
      return exitCode == 0 && failed == 0 && !aborted && processed > 0;
    }
  }

  private ShopLoad(Process process, Path output) {
    this.process = process;
    this.output = output;
  }

  /** Creates the shop schema and its rows on {@code c} (the source). */
  public static void createSchema(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(resource("schema.sql"));
    }
  }

  /**
   * Starts pgbench against {@code port}/{@code database} as {@code postgres} for {@code seconds}
   * at {@code rate} transactions a second on 8 clients.
   *
   * @param dir       where the scripts and pgbench's output go
   * @param extraArgs more pgbench options, e.g. {@code -l} for a per-transaction log
   */
  public static ShopLoad start(Path pgbench, int port, String database, int seconds, int rate, Path dir,
      String... extraArgs) {
    try {
      List<String> command = new ArrayList<>(List.of(pgbench.toString(), "-n", "-c", "8", "-j", "2",
          "-T", String.valueOf(seconds), "-R", String.valueOf(rate), "--max-tries=1", "--failures-detailed",
          "-h", "127.0.0.1", "-p", String.valueOf(port), "-U", "postgres"));
      command.addAll(List.of(extraArgs));
      for (String script : SCRIPTS) {
        String file = script.substring(0, script.indexOf('@'));
        Path copy = dir.resolve(file);
        Files.writeString(copy, resource(file));
        command.addAll(List.of("-f", copy + script.substring(script.indexOf('@'))));
      }
      command.add(database);
      Path out = dir.resolve("pgbench.out");
      Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
          .redirectOutput(out.toFile()).start();
      return new ShopLoad(p, out);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start pgbench", e);
    }
  }

  /** pgbench, as the migration tests use it: the newest server package's binary, then PATH. */
  public static Path pgbench() {
    List<Path> candidates = new ArrayList<>();
    for (String v : List.of("17", "16", "15", "14")) candidates.add(Path.of("/usr/lib/postgresql", v, "bin/pgbench"));
    String path = System.getenv("PATH");
    if (path != null) for (String p : path.split(java.io.File.pathSeparator)) candidates.add(Path.of(p, "pgbench"));
    for (Path p : candidates) if (Files.isExecutable(p)) return p;
    throw new AssertionError("pgbench is not installed; install it with: apt-get install postgresql");
  }

  public boolean running() {
    return process.isAlive();
  }

  /** Waits for pgbench to finish its run and reads its report. */
  public Result finish() throws InterruptedException {
    if (!process.waitFor(10, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError("pgbench did not finish");
    }
    String text;
    try {
      text = Files.readString(output);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Result(process.exitValue(), number(PROCESSED, text), number(FAILED, text),
        text.contains("aborted"), text);
  }

  private static long number(Pattern p, String text) {
    Matcher m = p.matcher(text);
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  private static String resource(String name) {
    try (InputStream in = ShopLoad.class.getResourceAsStream("/appload/" + name)) {
      if (in == null) throw new IllegalStateException("missing test resource appload/" + name);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) process.destroyForcibly();
  }
}
