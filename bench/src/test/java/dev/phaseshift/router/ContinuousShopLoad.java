package dev.phaseshift.router;

import dev.phaseshift.testing.ShopLoad;
import java.util.ArrayList;
import java.util.List;

/**
 * The shop application for as long as a migration takes, which no fixed pgbench {@code -T} knows
 * in advance: pgbench runs of a few seconds each, back to back through PgBouncer, until stopped.
 * Each run's own report is kept; the totals add up what pgbench counted, so "0 failed" is what
 * the application saw over the whole migration, reconnects between runs included. A run ends by
 * transaction count ({@link ShopLoad}), so the orders and payments counted are exactly those written.
 */
final class ContinuousShopLoad {
  /** What the runs reported together. */
  record Totals(int runs, int nonZeroExits, long failed, long orders, long payments, long unattributed,
      boolean aborted, String reports) {
    /** The application saw no error at all, in any run. */
    boolean clean() {
      return runs > 0 && nonZeroExits == 0 && failed == 0 && !aborted;
    }
  }

  private final Thread runner;
  private final List<String> reports = new ArrayList<>();
  private volatile boolean stopping;
  private volatile Throwable broken;
  private int nonZeroExits;
  private long failed;
  private long orders;
  private long payments;
  private long unattributed;
  private boolean aborted;

  private ContinuousShopLoad(int bouncerPort, String database, int runSeconds, String logPrefix) {
    runner = new Thread(() -> {
      int run = 0;
      while (!stopping) {
        run++;
        try {
          String[] extra = logPrefix == null ? new String[0]
              : new String[] {"-l", "--log-prefix=" + logPrefix + "-" + run};
          ShopLoad.Result shop = ShopLoad.start(bouncerPort, database, runSeconds, extra).finish();
          if (shop.failed() < 0 || shop.orders() < 0 || shop.payments() < 0) {
            throw new AssertionError("pgbench's report lacks its counts:\n" + shop.output());
          }
          synchronized (this) {
            reports.add(shop.output());
            if (shop.exitCode() != 0) nonZeroExits++;
            aborted |= shop.aborted();
            failed += shop.failed();
            orders += shop.orders();
            payments += shop.payments();
            unattributed += shop.unattributed();
          }
        } catch (Throwable e) {
          broken = e;
          return;
        }
      }
    }, "shop load");
    runner.setDaemon(true);
  }

  /**
   * Starts the load at 150 transactions a second on 8 clients.
   *
   * @param logPrefix where pgbench writes per-transaction logs ({@code -l}), or null for none
   */
  static ContinuousShopLoad start(int bouncerPort, String database, int runSeconds, String logPrefix) {
    ContinuousShopLoad load = new ContinuousShopLoad(bouncerPort, database, runSeconds, logPrefix);
    load.runner.start();
    return load;
  }

  /** Lets the current run finish and returns what all runs reported. */
  Totals stop() throws InterruptedException {
    stopping = true;
    runner.join(180_000);
    if (runner.isAlive()) throw new AssertionError("the shop load did not stop");
    if (broken != null) throw new AssertionError("the shop load broke: " + broken + "\n" + String.join("\n", reports),
        broken);
    synchronized (this) {
      return new Totals(reports.size(), nonZeroExits, failed, orders, payments, unattributed, aborted, String.join("\n", reports));
    }
  }
}
