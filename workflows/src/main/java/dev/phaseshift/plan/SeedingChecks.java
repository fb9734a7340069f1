package dev.phaseshift.plan;

import java.util.List;

/**
 * What is wrong with a plan's {@code seeding} section, each with how to fix it. Physical seeding
 * copies the source's whole cluster and keeps its names, so the rules here are about what such a
 * copy cannot do; what needs the servers (versions, settings, the target host) PREPARE checks.
 */
final class SeedingChecks {
  private SeedingChecks() {}

  static void check(MigrationPlan plan, List<String> problems) {
    Seeding s = plan.seeding();
    if (s == null) return;
    String method = s.methodOrDefault();
    if (!Seeding.LOGICAL.equals(method) && !Seeding.PHYSICAL.equals(method)) {
      problems.add("seeding.method: '" + method + "' must be logical (copy row by row into an existing server)"
          + " or physical (pg_basebackup + pg_createsubscriber into a new server on the target host)");
      return;
    }
    if (!s.physical()) {
      onlyPhysical("seeding.dataDirectory", s.dataDirectory(), problems);
      onlyPhysical("seeding.taskQueue", s.taskQueue(), problems);
      onlyPhysical("seeding.binDirectory", s.binDirectory(), problems);
      return;
    }
    if (blank(s.dataDirectory()) || !s.dataDirectory().startsWith("/")) {
      problems.add("seeding.dataDirectory: physical seeding needs the absolute path of the new server's data"
          + " directory on the target host, absent or empty, e.g. /var/lib/postgresql/18/main");
    }
    if (s.binDirectory() != null && !s.binDirectory().startsWith("/")) {
      problems.add("seeding.binDirectory: give an absolute path on the target host, e.g. /usr/lib/postgresql/18/bin,"
          + " or leave it out to use the tools the target-host worker finds");
    }
    if (s.taskQueue() != null && (s.taskQueue().isBlank() || !s.taskQueue().equals(s.taskQueue().strip()))) {
      problems.add("seeding.taskQueue: a queue name without blanks, the one the target-host worker serves"
          + " (phaseshift.seeding-queue), or leave it out for <worker queue>-seeding");
    }
    TableSelection t = plan.tables();
    if (t != null && (notEmpty(t.include()) || notEmpty(t.exclude()))) {
      problems.add("tables: physical seeding copies the whole database, so no table can be left out; remove"
          + " tables, or use seeding method logical to move a selection");
    }
    String source = database(plan.source());
    String target = database(plan.target());
    if (source != null && target != null && !source.equals(target)) {
      problems.add("target.url: names database '" + target + "', but physical seeding keeps the source's names;"
          + " write .../" + source + " in target.url, or use seeding method logical to move into another name");
    }
    String sourceServer = server(plan.source());
    if (sourceServer != null && sourceServer.equals(server(plan.target()))) {
      problems.add("target.url: physical seeding starts a new server on the target's host and port, but "
          + sourceServer + " is the source's; point target.url at the new server's host and a free port");
    }
  }

  private static void onlyPhysical(String field, String value, List<String> problems) {
    if (value != null) {
      problems.add(field + ": used only by physical seeding; remove it or write seeding method physical");
    }
  }

  /** The database a usable URL names; null when the endpoint checks already report the URL. */
  private static String database(Endpoint e) {
    if (e == null || e.url() == null) return null;
    String hostAndDatabase = e.hostAndDatabase();
    int slash = hostAndDatabase.indexOf('/');
    if (slash < 0 || slash == hostAndDatabase.length() - 1) return null;
    return hostAndDatabase.substring(slash + 1);
  }

  private static String server(Endpoint e) {
    if (e == null || e.url() == null) return null;
    String hostAndDatabase = e.hostAndDatabase();
    int slash = hostAndDatabase.indexOf('/');
    return slash <= 0 ? null : hostAndDatabase.substring(0, slash);
  }

  private static boolean notEmpty(List<String> list) {
    return list != null && !list.isEmpty();
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}
