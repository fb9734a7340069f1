package dev.phaseshift.router;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.engine.postgres.PgEndpoint;
import dev.phaseshift.plan.DurationText;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.RouterConfig;
import dev.phaseshift.workflow.FailureTypes;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Moves application traffic through PgBouncer's admin console, so clients keep their connections
 * and only wait while writes move.
 *
 * <p>{@link #hold} sends {@code PAUSE <db>}: PgBouncer lets running transactions finish, closes its
 * server connections and queues every new query. {@link #release} points the {@code [databases]}
 * entry in the ini file at the side that takes writes, then {@code RELOAD} and {@code RESUME <db>};
 * queued queries then run on new server connections to that side.
 *
 * <p>Requirements on the PgBouncer side:
 * <ul>
 *   <li>{@code pool_mode = transaction} (or {@code statement}) for the entry. In session mode a
 *       client keeps its server connection until it disconnects, so PAUSE would wait for every
 *       application connection to close; {@link #hold} refuses it up front.
 *   <li>the router's user is listed in {@code admin_users};
 *   <li>no {@code pool_mode = session} for the application's user in {@code [users]}: the console
 *       shows pool modes per database and globally, not per user, so that override is not checked;
 *   <li>the worker may write the ini file and its directory (the file is replaced atomically).
 * </ul>
 *
 * <p>PgBouncer keeps a PAUSE when the connection that sent it is gone, so {@link #hold} first arms
 * a {@link PauseGuard} that resumes the database if this worker dies or hangs before
 * {@link #release} disarms it.
 *
 * <p>This class is the policy: what is sent when, and how long each step may take. Talking to the
 * console is {@link PgBouncerConsole}'s, editing the ini file {@link PgBouncerIniFile}'s.
 */
public final class PgBouncerRouter implements Router {
  /** How long PAUSE may wait for running transactions when the plan does not bound the freeze. */
  private static final Duration DEFAULT_PAUSE_WAIT = Duration.ofSeconds(30);
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);
  /**
   * How long past the freeze bound the pause guard lets clients wait for a worker that stopped
   * answering: longer than the engine's own bound on the freeze, so a live worker ends it first.
   */
  private static final Duration GUARD_GRACE = Duration.ofSeconds(8);

  /**
   * A psql already connected to the console for the release that follows this router's hold, and
   * the configuration it was opened for. A router instance serves one switch on one thread.
   */
  private PsqlSession releaseConsole;
  private RouterConfig releaseConfig;
  /** Resumes traffic if this worker dies or hangs while it holds it; disarmed by the release. */
  private PauseGuard guard;

  @Override
  public long hold(MigrationPlan plan) {
    RouterConfig r = config(plan);
    PgBouncerConsole console = new PgBouncerConsole(r);
    // psql for PAUSE starts and connects while the check runs.
    PsqlSession pause = console.open();
    try {
      checkPoolMode(console, r);
    } catch (RuntimeException e) {
      pause.cancel();
      throw e;
    }
    // Armed before the PAUSE is sent: a worker killed while PAUSE waits must not leave it in place.
    disarmGuard();
    try {
      guard = console.guard(pauseWait(plan).plus(GUARD_GRACE));
    } catch (RuntimeException e) {
      pause.cancel();
      throw e;
    }
    long pausing = System.nanoTime();
    ConsoleReply paused = pause.finish(List.of("PAUSE " + PgBouncerConsole.quoted(r.database())), pauseWait(plan));
    // A retried hold finds its own earlier PAUSE in place: holding is what was asked for.
    if (paused.ok() || paused.error().contains("already suspended/paused")) {
      // From here clients wait for the freeze, which the plan bounds.
      guard.hold(pauseWait(plan).plus(GUARD_GRACE));
      // Connected during the freeze, so the release does not wait for psql to start.
      dropReleaseConsole();
      releaseConsole = console.open();
      releaseConfig = r;
      return pausing;
    }
    // PgBouncer keeps the database paused when the console connection goes away (for example
    // when PAUSE waited too long and psql was stopped); holding traffic that nobody will release
    // would be an outage, so undo it before failing.
    console.run("RESUME " + PgBouncerConsole.quoted(r.database()), COMMAND_TIMEOUT);
    disarmGuard();
    if (paused.error().startsWith("no answer")) {
      throw new IllegalStateException("PgBouncer at " + console.address + ": PAUSE of database '" + r.database()
          + "' waited longer than " + pauseWait(plan).toSeconds() + "s for client transactions to finish, so traffic"
          + " was resumed; end long-running transactions (or raise cutover.maxFreeze) and switch over again");
    }
    throw console.failure("pausing", paused);
  }

  @Override
  public void release(MigrationPlan plan, Side side) {
    RouterConfig r = config(plan);
    // If the entry cannot be pointed at the side, traffic stays held: resuming towards the wrong
    // side would turn waiting clients into failing ones, and the activity's retry tries again.
    PgBouncerIniFile.pointEntryAt(r, side == Side.TARGET ? PgEndpoint.target(plan) : PgEndpoint.source(plan));
    PgBouncerConsole console = new PgBouncerConsole(r);
    // One psql run for both, started by hold when this router held: clients wait while it runs,
    // and starting psql is most of its cost. psql stops at the first error, so RESUME never runs
    // after a failed RELOAD.
    List<String> commands = List.of("RELOAD", "RESUME " + PgBouncerConsole.quoted(r.database()));
    PsqlSession ready = r.equals(releaseConfig) ? releaseConsole : null;
    if (ready == null) dropReleaseConsole();
    releaseConsole = null;
    releaseConfig = null;
    ConsoleReply released = ready == null
        ? console.run(commands, COMMAND_TIMEOUT)
        : ready.finish(commands, COMMAND_TIMEOUT);
    // The early connection may have been lost during the freeze (PgBouncer restarted, say): once more afresh.
    if (ready != null && !released.ok() && !released.error().contains("is not paused")) {
      released = console.run(commands, COMMAND_TIMEOUT);
    }
    // Release is retried after a crash or timeout, and is also called when hold never ran.
    if (!released.ok() && !released.error().contains("is not paused")) {
      // The guard stays armed: if the retry does not release in time, it resumes traffic itself.
      throw console.failure("reloading the configuration for and resuming", released);
    }
    disarmGuard();
  }

  @Override
  public boolean switchesConnections() {
    return true;
  }

  private void disarmGuard() {
    if (guard != null) guard.close();
    guard = null;
  }

  private void dropReleaseConsole() {
    if (releaseConsole != null) releaseConsole.cancel();
    releaseConsole = null;
    releaseConfig = null;
  }

  private static RouterConfig config(MigrationPlan plan) {
    RouterConfig r = plan.router();
    if (r == null || r.adminUrl() == null || r.user() == null || r.database() == null || r.configFile() == null) {
      throw new MigrationException(FailureTypes.INVALID_PLAN,
          "router: type pgbouncer needs adminUrl, user, database and configFile; complete the router section");
    }
    return r;
  }

  /** PAUSE waits for running transactions; the plan's freeze bound is how long that may take. */
  private static Duration pauseWait(MigrationPlan plan) {
    if (plan.cutover() == null || plan.cutover().maxFreeze() == null) return DEFAULT_PAUSE_WAIT;
    try {
      Duration d = DurationText.parse(plan.cutover().maxFreeze());
      return d.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : d;
    } catch (IllegalArgumentException e) {
      return DEFAULT_PAUSE_WAIT;
    }
  }

  /**
   * PAUSE in session mode waits until every client disconnects, which for an application with a
   * connection pool means forever; better to say so before holding anything.
   */
  private static void checkPoolMode(PgBouncerConsole console, RouterConfig r) {
    // Both listings in one psql run: the check runs between the engine's preparation and the freeze.
    ConsoleReply both = console.run(List.of("SHOW DATABASES", ConsoleReply.separatorCommand(), "SHOW CONFIG"),
        COMMAND_TIMEOUT);
    if (!both.ok()) throw console.failure("listing databases and settings before pausing", both);
    Map<String, String> entry = both.rows().stream().filter(row -> r.database().equals(row.get("name")))
        .findFirst().orElse(null);
    if (entry == null) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "PgBouncer at " + console.address + " has no database entry '" + r.database() + "'; add it to the"
              + " [databases] section of " + r.configFile() + " (and RELOAD) or fix router.database");
    }
    String mode = entry.get("pool_mode");
    String origin = "the entry's pool_mode";
    if (mode == null || mode.isBlank()) {
      mode = both.next().rows().stream().filter(row -> "pool_mode".equals(row.get("key")))
          .map(row -> row.get("value")).findFirst().orElse("session");
      origin = "pool_mode in [pgbouncer]";
    }
    if ("session".equalsIgnoreCase(mode.trim())) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "PgBouncer database '" + r.database() + "' runs in session pooling (" + origin + " = session): PAUSE"
              + " would wait until every application connection closes, so traffic cannot be held; set"
              + " pool_mode = transaction for it in " + r.configFile() + " and RELOAD, or use router type manual");
    }
  }
}
