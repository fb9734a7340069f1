package dev.phaseshift.testing;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The application a migration must not disturb: the shop workload (resources {@code appload/}:
 * orders, payments and restocking, multi-table transactions in varying table order behind
 * deferred foreign keys) run by a real pgbench process at 150 transactions a second on 8 clients,
 * every transaction tried once, failures counted by pgbench itself. A deadlock, lock timeout,
 * serialization failure, read-only error or lost connection shows up in its report, so "0 failed"
 * is what the application saw.
 *
 * <p>Each client runs a fixed number of transactions ({@code -t}), not a fixed time: a run that
 * ends at a time limit closes the connections of clients inside a transaction, and one whose
 * COMMIT was already sent may have committed without being counted. Ended by count, every
 * transaction pgbench starts is finished and counted, so the orders and payments it reports are
 * exactly those it wrote.
 */
public final class ShopLoad implements AutoCloseable {
  /** pgbench's clients. */
  public static final int CLIENTS = 8;
  /** Transactions a second over all clients. */
  public static final int RATE = 150;
  /** The scripts and their weights: orders, payments and restocking, as a shop runs them. */
  private static final List<String> SCRIPTS = List.of("order.sql@5", "payment.sql@3", "restock.sql@2");
  private static final Pattern FAILED = Pattern.compile("number of failed transactions: (\\d+)");
  private static final Pattern PROCESSED = Pattern.compile("number of transactions actually processed: (\\d+)");
  /** Committed transactions of a script: each order adds one order, each payment one payment. */
  private static final Pattern ORDERS = script("order");
  private static final Pattern PAYMENTS = script("payment");
  private static final Pattern RESTOCKS = script("restock");

  /** Where the scripts are copied to when they are read from a jar. */
  private static Path copies;

  private final Process process;
  private final Path output;
  private Result result;

  /**
   * What pgbench reported, with its whole output for assertion messages; a figure the output
   * lacks is -1.
   */
  public record Result(int exitCode, long processed, long failed, long orders, long payments, long restocks,
      boolean aborted, String output) {
    /** The application saw no error at all. */
    public boolean clean() {
      return exitCode == 0 && failed == 0 && !aborted && processed > 0;
    }

    /**
     * Transactions pgbench processed but left out of every script's tally. pgbench 15 with two
     * threads has been seen to drop one from its per-script counts (6000 processed, 5999 by script:
     * the order it left out was committed and on the primary), so a table may hold up to this many
     * rows more than its script's count; never fewer.
     */
    public long unattributed() {
      return Math.max(0, processed - orders - payments - restocks);
    }

    /** Whether {@code rows} written by a script counted {@code counted} is exactly what pgbench processed. */
    public boolean accountsFor(long rows, long counted) {
      return rows >= counted && rows <= counted + unattributed();
    }
  }

  private ShopLoad(Process process, Path output) {
    this.process = process;
    this.output = output;
  }

  /** The shop's schema and rows, as a file (for psql), to load into the source before anything else. */
  public static Path schema() {
    return appload("schema.sql");
  }

  /** Creates the shop schema and its rows on {@code c} (the source). */
  public static void createSchema(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(Files.readString(schema(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Starts pgbench against {@code port}/{@code database} on 127.0.0.1 as {@code postgres}, for
   * about {@code seconds}: {@code seconds} x 150 transactions in all.
   *
   * @param extra more pgbench options, e.g. {@code -l} for a per-transaction log
   */
  public static ShopLoad start(int port, String database, int seconds, String... extra) {
    try {
      List<String> command = new ArrayList<>(List.of(pgbench().toString(), "-h", "127.0.0.1",
          "-p", Integer.toString(port), "-U", "postgres", "-n", "-c", Integer.toString(CLIENTS), "-j", "2",
          "-t", Long.toString(Math.max(1, (long) seconds * RATE / CLIENTS)), "-R", Integer.toString(RATE),
          "--max-tries=1", "--failures-detailed"));
      for (String script : SCRIPTS) {
        int at = script.indexOf('@');
        command.addAll(List.of("-f", appload(script.substring(0, at)) + script.substring(at)));
      }
      command.addAll(List.of(extra));
      command.add(database);
      Path out = Files.createTempFile("phaseshift-shop", ".out");
      out.toFile().deleteOnExit();
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
      pb.environment().put("LC_MESSAGES", "C");
      return new ShopLoad(pb.start(), out);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start pgbench", e);
    }
  }

  /**
   * pgbench: Debian's /usr/bin/pgbench is a wrapper that fails without the server package, so the
   * real binaries under /usr/lib/postgresql come first, newest version first, then PATH.
   */
  public static Path pgbench() {
    List<Path> candidates = new ArrayList<>();
    Path debian = Path.of("/usr/lib/postgresql");
    if (Files.isDirectory(debian)) {
      try (var versions = Files.list(debian)) {
        versions.map(v -> v.resolve("bin/pgbench"))
            .sorted(Comparator.comparing(ShopLoad::versionOf).reversed())
            .forEach(candidates::add);
      } catch (IOException e) {
        // Unreadable: PATH may still have it.
      }
    }
    String path = System.getenv("PATH");
    if (path != null) for (String p : path.split(File.pathSeparator)) candidates.add(Path.of(p, "pgbench"));
    for (Path p : candidates) if (Files.isExecutable(p)) return p;
    throw new AssertionError("pgbench is not installed; install it with: apt-get install postgresql"
        + " (Debian ships pgbench with the server package)");
  }

  private static int versionOf(Path pgbench) {
    String v = pgbench.getParent().getParent().getFileName().toString();
    return v.matches("\\d+") ? Integer.parseInt(v) : 0;
  }

  public boolean running() {
    return process.isAlive();
  }

  /** Waits for pgbench to finish its run and reads its report. */
  public Result finish() throws InterruptedException {
    if (result != null) return result;
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
    result = new Result(process.exitValue(), number(PROCESSED, text), number(FAILED, text), number(ORDERS, text),
        number(PAYMENTS, text), number(RESTOCKS, text), text.contains("aborted"), text);
    return result;
  }

  private static Pattern script(String name) {
    return Pattern.compile(
        "script \\d+: [^\\n]*" + name + "\\.sql\\n - weight: \\d+ \\([^)]*\\)\\n - (\\d+) transactions");
  }

  private static long number(Pattern p, String text) {
    Matcher m = p.matcher(text);
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  /**
   * A script as a file pgbench can read. Read from activities' test jar (another module's tests in
   * a reactor build past the package phase), it is copied out to a file first.
   */
  private static synchronized Path appload(String file) {
    URL url = ShopLoad.class.getResource("/appload/" + file);
    if (url == null) throw new IllegalStateException("missing test resource appload/" + file);
    try {
      if ("file".equals(url.getProtocol())) return Path.of(url.toURI());
      if (copies == null) {
        copies = Files.createTempDirectory("phaseshift-appload");
        copies.toFile().deleteOnExit();
      }
      Path copy = copies.resolve(file);
      if (!Files.exists(copy)) {
        try (InputStream in = url.openStream()) {
          Files.copy(in, copy);
        }
        copy.toFile().deleteOnExit();
      }
      return copy;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) process.destroyForcibly();
  }
}
