package dev.phaseshift.plan;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Static checks of a plan, run by the CLI before it starts anything and by the workflow before its
 * first activity. Pure and deterministic, so it is safe in workflow code. Every problem is listed,
 * each with how to fix it.
 */
public final class PlanValidator {
  private static final List<String> SUPPORTED_ENGINES = List.of("postgresql");

  private PlanValidator() {}

  public static List<String> problems(MigrationPlan plan) {
    List<String> problems = new ArrayList<>();
    if (plan == null) {
      problems.add("the plan is empty: give at least name, source and target");
      return problems;
    }
    if (plan.name() == null || !plan.name().matches("[a-z0-9][a-z0-9_-]{0,40}")) {
      problems.add("name: must be 1-41 lower-case letters, digits, '-' or '_',"
          + " starting with a letter or digit (it names the workflow and the replication objects)");
    }
    endpoint("source", plan.source(), problems);
    endpoint("target", plan.target(), problems);
    if (plan.source() != null && plan.target() != null && plan.source().url() != null
        && Objects.equals(plan.source().url(), plan.target().url())) {
      problems.add("target.url: it is the same database as source.url; point target at the new server");
    }
    if (plan.copyParallelism() != null && (plan.copyParallelism() < 1 || plan.copyParallelism() > 64)) {
      problems.add("copyParallelism: " + plan.copyParallelism() + " must be between 1 and 64");
    }
    if (plan.cutover() != null) {
      if (plan.cutover().maxFreeze() != null && !DurationText.isValid(plan.cutover().maxFreeze())) {
        problems.add("cutover.maxFreeze: not a duration; write e.g. 500ms, 30s or 2m");
      }
      if (plan.cutover().maxLagBytes() != null && plan.cutover().maxLagBytes() < 0) {
        problems.add("cutover.maxLagBytes: must be 0 or more");
      }
    }
    if (plan.retention() != null && !DurationText.isValid(plan.retention())) {
      problems.add("retention: not a duration; write e.g. 30m, 48h or 7d");
    }
    if (plan.cutover() != null && plan.cutover().maxTransactionAge() != null
        && !DurationText.isValid(plan.cutover().maxTransactionAge())) {
      problems.add("cutover.maxTransactionAge: not a duration; write e.g. 30s or 5m");
    }
    if (plan.lockTimeout() != null && !validLockTimeout(plan.lockTimeout())) {
      problems.add("lockTimeout: '" + plan.lockTimeout() + "' must be a duration from 1ms to 1m, e.g. 100ms or 2s"
          + " (how long a Phaseshift statement may wait for a lock on an application table)");
    }
    if (plan.assessment() != null && plan.assessment().sample() != null
        && (!DurationText.isValid(plan.assessment().sample())
            || DurationText.parse(plan.assessment().sample()).toMinutes() > 60)) {
      problems.add("assessment.sample: write a duration up to 60m, e.g. 60s (0s measures sizes only)");
    }
    approval(plan.approval(), problems);
    if (plan.approval() != null && plan.approval().rehearsalRequired() && Boolean.FALSE.equals(plan.approvalRequired())) {
      problems.add("approval.rehearsal.required: gates the sign-off, but approvalRequired is false; set"
          + " approvalRequired: true or drop approval.rehearsal");
    }
    windows(plan.maintenanceWindows(), problems);
    router(plan.router(), problems);
    if (plan.webhookUrl() != null && !plan.webhookUrl().matches("https?://\\S+")) {
      problems.add("webhookUrl: is not an http:// or https:// URL");
    }
    if (plan.mode() != null && !List.of(MigrationPlan.MIGRATION, MigrationPlan.REHEARSAL).contains(plan.mode())) {
      problems.add("mode: must be migration or rehearsal");
    }
    if (MigrationPlan.REHEARSAL.equals(plan.mode()) && Boolean.FALSE.equals(plan.targetDisposable())) {
      problems.add("targetDisposable: a rehearsal drops what it created on its scratch target; remove"
          + " targetDisposable: false or point the rehearsal at a scratch database");
    }
    retiredClients(plan.retiredClients(), problems);
    VerificationChecks.check(plan.verification(), !Boolean.FALSE.equals(plan.reverseReplication()), problems);
    subscriptionAuth(plan.subscriptionAuth(), !Boolean.FALSE.equals(plan.reverseReplication()), problems);
    if (plan.tables() != null) {
      patterns("tables.include", plan.tables().include(), problems);
      patterns("tables.exclude", plan.tables().exclude(), problems);
    }
    SeedingChecks.check(plan, problems);
    return problems;
  }

  private static void endpoint(String field, Endpoint e, List<String> problems) {
    if (e == null) {
      problems.add(field + ": missing; give url, user and (if the server asks for one) password");
      return;
    }
    if (e.url() == null || e.url().isBlank()) {
      problems.add(field + ".url: missing; write a JDBC URL like jdbc:postgresql://host:5432/dbname");
    } else if (e.engine() == null || !SUPPORTED_ENGINES.contains(e.engine())) {
      problems.add(field + ".url: names no supported engine; supported: "
          + String.join(", ", SUPPORTED_ENGINES) + " (jdbc:postgresql://host:5432/dbname)");
    } else if (!e.hostAndDatabase().contains("/") || e.hostAndDatabase().endsWith("/")) {
      problems.add(field + ".url: names no database; add it after the host: .../dbname");
    } else if (e.url().contains("password=")) {
      problems.add(field + ".url: contains a password, which would be stored in workflow history;"
          + " remove it and set " + field + ".password.env or " + field + ".password.file");
    }
    if (e.user() == null || e.user().isBlank()) {
      problems.add(field + ".user: missing; name the role to log in as");
    }
    SecretRef p = e.password();
    if (p != null) {
      boolean env = p.env() != null && !p.env().isBlank();
      boolean file = p.file() != null && !p.file().isBlank();
      if (env == file) {
        problems.add(field + ".password: give exactly one of env (an environment variable name)"
            + " or file (a path on the worker)");
      }
    }
  }

  private static void approval(ApprovalPolicy a, List<String> problems) {
    if (a == null) return;
    if (a.required() != null && a.required() < 1) {
      problems.add("approval.required: must be 1 or more");
    }
    if (a.required() != null && a.approvers() != null && !a.approvers().isEmpty()
        && a.required() > a.approvers().size()) {
      problems.add("approval.required: " + a.required() + " approvals cannot come from the "
          + a.approvers().size() + " listed approvers; list more approvers or lower required");
    }
    if (a.deadline() != null && !DurationText.isValid(a.deadline())) {
      problems.add("approval.deadline: not a duration; write e.g. 4h or 2d");
    }
    if (a.onDeadline() != null && !List.of("wait", "abort").contains(a.onDeadline())) {
      problems.add("approval.onDeadline: must be wait or abort");
    }
    if (a.rehearsal() != null && a.rehearsal().maxAge() != null && !DurationText.isValid(a.rehearsal().maxAge())) {
      problems.add("approval.rehearsal.maxAge: not a duration; write how old the latest rehearsal may be, e.g. 7d");
    }
  }

  private static void windows(List<MaintenanceWindow> windows, List<String> problems) {
    if (windows == null) return;
    for (int i = 0; i < windows.size(); i++) {
      MaintenanceWindow w = windows.get(i);
      String field = "maintenanceWindows[" + i + "]";
      boolean recurring = w.cron() != null;
      boolean once = w.start() != null || w.end() != null;
      if (recurring == once) {
        problems.add(field + ": give either cron and duration (a recurring window) or start and end (one window)");
        continue;
      }
      if (recurring) {
        if (w.cron().trim().split("\\s+").length != 5) {
          problems.add(field + ".cron: must have five fields: minute hour day-of-month month day-of-week");
        }
        if (!DurationText.isValid(w.duration())) {
          problems.add(field + ".duration: not a duration; write e.g. 2h");
        }
      } else if (!isLocalDateTime(w.start()) || !isLocalDateTime(w.end())) {
        problems.add(field + ": start and end must be local date-times like 2026-12-05T02:00");
      } else if (!java.time.LocalDateTime.parse(w.end()).isAfter(java.time.LocalDateTime.parse(w.start()))) {
        problems.add(field + ": end must be after start");
      }
      if (w.timeZone() != null) {
        try {
          java.time.ZoneId.of(w.timeZone());
        } catch (java.time.DateTimeException e) {
          problems.add(field + ".timeZone: not a time zone; write e.g. Europe/Berlin or UTC");
        }
      }
    }
  }

  private static boolean isLocalDateTime(String text) {
    try {
      java.time.LocalDateTime.parse(text);
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static void router(RouterConfig r, List<String> problems) {
    if (r == null || r.type() == null || RouterConfig.MANUAL.equals(r.type())) return;
    if (!RouterConfig.PGBOUNCER.equals(r.type())) {
      problems.add("router.type: must be manual or pgbouncer");
      return;
    }
    if (r.adminUrl() == null || !r.adminUrl().startsWith("jdbc:postgresql://")) {
      problems.add("router.adminUrl: give PgBouncer's admin console, e.g. jdbc:postgresql://127.0.0.1:6432/pgbouncer");
    }
    if (r.user() == null) problems.add("router.user: name a PgBouncer admin user (admin_users)");
    if (r.database() == null) problems.add("router.database: name the [databases] entry the application connects to");
    if (r.configFile() == null) problems.add("router.configFile: give the path of pgbouncer.ini on the worker's host");
  }

  private static void patterns(String field, List<String> patterns, List<String> problems) {
    if (patterns == null) return;
    for (int i = 0; i < patterns.size(); i++) {
      String p = patterns.get(i);
      if (p == null || !p.matches("[A-Za-z0-9_*]+(\\.[A-Za-z0-9_*]+)?")) {
        problems.add(field + "[" + i + "]: not a table pattern; write schema.table, with * as a wildcard");
      }
    }
  }

  /** An address the source reports: an IPv4 or IPv6 address, optionally a CIDR range, or local. */
  private static final String ADDRESS = "local|[0-9.]+(/\\d{1,2})?|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*(/\\d{1,3})?";

  private static void retiredClients(List<RetiredClient> clients, List<String> problems) {
    if (clients == null) return;
    for (int i = 0; i < clients.size(); i++) {
      RetiredClient c = clients.get(i);
      String field = "retiredClients[" + i + "]";
      if (c == null || (blank(c.user()) && blank(c.address()) && blank(c.applicationName()))) {
        problems.add(field + ": give user, address or applicationName (an empty entry would retire every client)");
        continue;
      }
      if (!blank(c.address()) && !c.address().matches(ADDRESS)) {
        problems.add(field + ".address: '" + c.address() + "' is not an IP address, a CIDR range (10.1.0.0/16)"
            + " or local");
      }
      if (blank(c.reason())) {
        problems.add(field + ".reason: say why the client will not move (it is kept in the audit trail)");
      }
    }
  }

  private static void subscriptionAuth(SubscriptionAuth a, boolean reverse, List<String> problems) {
    if (a == null || a.method() == null) return;
    if (!List.of(SubscriptionAuth.STORED, SubscriptionAuth.PASSFILE, SubscriptionAuth.NONE).contains(a.method())) {
      problems.add("subscriptionAuth.method: must be stored, passfile or none");
      return;
    }
    if (!SubscriptionAuth.PASSFILE.equals(a.method())) return;
    if (blank(a.passfileOnTarget()) || !a.passfileOnTarget().startsWith("/")) {
      problems.add("subscriptionAuth.passfileOnTarget: give the absolute path of the password file on the target's"
          + " server host (the forward subscription reads the source's password from it)");
    }
    if (reverse && (blank(a.passfileOnSource()) || !a.passfileOnSource().startsWith("/"))) {
      problems.add("subscriptionAuth.passfileOnSource: give the absolute path of the password file on the source's"
          + " server host (the reverse subscription reads the target's password from it), or set"
          + " reverseReplication: false");
    }
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  /** Zero would mean no bound at all, and a long one lets the application queue behind a waiting step. */
  private static boolean validLockTimeout(String text) {
    if (!DurationText.isValid(text)) return false;
    long millis = DurationText.parse(text).toMillis();
    return millis >= 1 && millis <= 60_000;
  }
}
