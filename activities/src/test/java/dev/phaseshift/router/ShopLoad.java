package dev.phaseshift.router;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shop application (activities' test resources, appload/) as pgbench runs it through
 * PgBouncer: multi-table transactions in varying order, 150 a second on 8 clients, no retries,
 * failures counted by pgbench itself. Its output is collected as it runs.
 */
final class ShopLoad {
  /** Where the scripts are copied to when they are read from a jar. */
  private static Path copies;

  final Process process;
  private final CollectedProcess pgbench;
  private String finished;

  private ShopLoad(CollectedProcess pgbench) {
    this.pgbench = pgbench;
    this.process = pgbench.process;
  }

  /** The shop's schema and data, to load into the source before anything else. */
  static Path schema() throws Exception {
    return appload("schema.sql");
  }

  /** @param extra more pgbench options, e.g. {@code -l} for a per-transaction log */
  static ShopLoad start(int bouncerPort, String database, int seconds, String... extra) throws Exception {
    List<String> command = new ArrayList<>(List.of(PgBouncerRouterTest.pgbench().toString(), "-h", "127.0.0.1",
        "-p", Integer.toString(bouncerPort), "-U", "postgres", "-n", "-c", "8", "-j", "2",
        "-T", Integer.toString(seconds), "-R", "150", "--max-tries=1", "--failures-detailed",
        "-f", appload("order.sql") + "@5", "-f", appload("payment.sql") + "@3", "-f", appload("restock.sql") + "@2"));
    command.addAll(List.of(extra));
    command.add(database);
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().put("LC_MESSAGES", "C");
    pb.redirectErrorStream(true);
    return new ShopLoad(new CollectedProcess(pb));
  }

  /** Waits for pgbench to end and returns its report. */
  String finish() throws Exception {
    if (finished == null) finished = pgbench.finish(180);
    return finished;
  }

  long failed() throws Exception {
    return figure("number of failed transactions: (\\d+)");
  }

  /** Committed transactions of the order script: each adds one order. */
  long orders() throws Exception {
    return figure("script 1: [^\\n]*order\\.sql\\n - weight: \\d+ \\([^)]*\\)\\n - (\\d+) transactions");
  }

  /** Committed transactions of the payment script: each adds one payment. */
  long payments() throws Exception {
    return figure("script 2: [^\\n]*payment\\.sql\\n - weight: \\d+ \\([^)]*\\)\\n - (\\d+) transactions");
  }

  private long figure(String pattern) throws Exception {
    String out = finish();
    Matcher m = Pattern.compile(pattern).matcher(out);
    assertTrue(m.find(), "pgbench output lacks /" + pattern + "/:\n" + out);
    return Long.parseLong(m.group(1));
  }

  /**
   * The script as a file pgbench can read. Read from activities' test jar (another module's tests
   * in a reactor build past the package phase), it is copied out to a file first.
   */
  private static synchronized Path appload(String file) throws Exception {
    URL url = ShopLoad.class.getResource("/appload/" + file);
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
  }
}
