package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.ClientAccess;
import dev.phaseshift.model.ClientAdmission;
import dev.phaseshift.model.ClientSeen;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.RetiredClient;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Checks that the target lets in every client the source has seen during the migration (see
 * {@link PgClientLog}): a pg_hba rule that admits it, a role that exists and may log in, the
 * CONNECT privilege, connection limits of role and database, and max_connections at or above the
 * source's peak. Each gap becomes a blocker with the change that closes it. Clients the plan
 * retires are listed but not checked.
 */
final class PgClientAccess {
  private static final String FALLBACK_METHOD = "scram-sha-256";

  private PgClientAccess() {}

  /** Samples the source into the log, then checks every client the log holds. */
  static ClientAccess check(MigrationPlan plan) {
    try (PgSessionPair sides = PgSessionPair.open(plan)) {
      PgClientLog.record(sides.source(), sides.target(), plan);
      PgClientLog.Observed logged = sides.target().call("reading the clients seen",
          c -> PgClientLog.logged(c, plan.name()));
      return evaluate(sides.source(), sides.target(), plan, logged);
    }
  }

  /** PREPARE's view: the clients connected right now, nothing written anywhere. */
  static ClientAccess preview(PgSession s, PgSession t, MigrationPlan plan) {
    return evaluate(s, t, plan, s.call("listing client sessions", PgClientLog::now));
  }

  private static ClientAccess evaluate(PgSession s, PgSession t, MigrationPlan plan, PgClientLog.Observed seen) {
    Set<String> blockers = new LinkedHashSet<>();
    if (!s.call("checking the source role may see every client", PgClientLog::seesEveryClient)) {
      blockers.add("the source role " + s.endpoint().user() + " cannot see other roles' client addresses, so"
          + " clients may be missing from this check; run on the source: GRANT pg_read_all_stats TO "
          + Sql.ident(s.endpoint().user()));
    }
    // The source's own rules say which authentication method each client uses today.
    Optional<PgHbaRules> sourceRules = s.call("reading the source's pg_hba rules", PgClientAccess::readable);
    Optional<PgHbaRules> targetRules = t.call("reading the target's pg_hba rules", PgClientAccess::readable);
    if (targetRules.isEmpty()) {
      blockers.add("the target role " + t.endpoint().user() + " cannot read pg_hba_file_rules, so the target's"
          + " client authentication cannot be checked; run on the target: GRANT SELECT ON pg_hba_file_rules TO "
          + Sql.ident(t.endpoint().user()) + "; GRANT EXECUTE ON FUNCTION pg_hba_file_rules() TO "
          + Sql.ident(t.endpoint().user()));
    }
    String database = t.endpoint().database();
    List<ClientAdmission> admissions = t.call("checking client access on the target",
        c -> admissions(c, plan, seen.clients(), database, sourceRules, targetRules, blockers, host(c)));
    t.run("checking connection limits on the target", c -> limits(c, plan, seen, database, blockers));
    return bounded(admissions, new ArrayList<>(blockers));
  }

  private static Optional<PgHbaRules> readable(Connection c) throws SQLException {
    try {
      return Optional.of(Sql.inTransaction(c, () -> PgHbaRules.read(c)));
    } catch (SQLException e) {
      if ("42501".equals(e.getSQLState())) return Optional.empty();
      throw e;
    }
  }

  private static List<ClientAdmission> admissions(Connection t, MigrationPlan plan, List<ClientSeen> clients,
      String database, Optional<PgHbaRules> sourceRules, Optional<PgHbaRules> targetRules, Set<String> blockers,
      PgHbaHost host) throws SQLException {
    List<ClientAdmission> out = new ArrayList<>();
    for (ClientSeen client : clients) {
      Optional<RetiredClient> retired = plan.retiredClientsOrNone().stream().filter(r -> matches(r, client)).findFirst();
      if (retired.isPresent()) {
        out.add(new ClientAdmission(client, true, true, "retired: " + retired.get().reason()));
        continue;
      }
      List<String> missing = new ArrayList<>();
      roleFindings(t, client.user(), database, missing);
      String verdict = null;
      String undecided = null;
      if (targetRules.isPresent()) {
        PgHbaRules.Judgement judged = targetRules.get().judge(client, database, (u, g) -> member(t, u, g), host);
        Optional<PgHbaRules.Rule> rule = Optional.ofNullable(judged.rule());
        String method = sourceRules.flatMap(r -> r.decide(client, client.database(), (u, g) -> false))
            .map(PgHbaRules.Rule::method).filter(m -> !m.equals("reject")).orElse(FALLBACK_METHOD);
        String line = PgHbaRules.lineFor(client, database, method);
        if (judged.undecidedBecause() != null) {
          // Not counted as admitted, and not as refused either: the operator settles it.
          undecided = ClientAdmission.UNDECIDED + judged.undecidedBecause() + "; to have it checked, add above that"
              + " line: " + line + " and reload (SELECT pg_reload_conf()), or, if the client will not move, retire it"
              + " (phaseshift retire-client)";
        } else if (rule.isEmpty()) {
          missing.add("no pg_hba rule on the target admits " + client.label() + "; add to the target's pg_hba.conf: "
              + line + " and reload it (SELECT pg_reload_conf())");
        } else if (rule.get().method().equals("reject")) {
          missing.add(rule.get().describe() + " on the target rejects " + client.label() + "; add above that line: "
              + line + " and reload it (SELECT pg_reload_conf())");
        } else {
          verdict = "admitted by " + rule.get().describe();
        }
      }
      blockers.addAll(missing);
      if (undecided != null) missing.add(undecided);
      out.add(new ClientAdmission(client, missing.isEmpty(), false,
          missing.isEmpty() ? (verdict == null ? "role may log in" : verdict) : String.join("; ", missing)));
    }
    return out;
  }

  /** The target's address as the worker reaches it: a client there is on the target's own host. */
  private static PgHbaHost host(Connection t) throws SQLException {
    return new PgHbaHost(Sql.one(t, "SELECT host(inet_server_addr())", rs -> rs.getString(1)), PgHbaHost.Dns.SYSTEM);
  }

  private static boolean member(Connection t, String user, String group) {
    try {
      return Boolean.TRUE.equals(Sql.one(t, "SELECT pg_has_role(?, ?, 'MEMBER')", rs -> rs.getBoolean(1), user, group));
    } catch (SQLException e) {
      // A role missing on the target is a member of nothing there; its absence is reported by itself.
      return false;
    }
  }

  private static void roleFindings(Connection t, String user, String database, List<String> missing)
      throws SQLException {
    record Role(boolean canLogin, Timestamp validUntil, boolean connect) {}
    Role role = Sql.one(t, "SELECT rolcanlogin, rolvaliduntil, has_database_privilege(oid, current_database(),"
        + " 'CONNECT') FROM pg_roles WHERE rolname = ?", rs -> new Role(rs.getBoolean(1), rs.getTimestamp(2),
        rs.getBoolean(3)), user);
    String ident = Sql.ident(user);
    if (role == null) {
      missing.add("role " + user + " does not exist on the target; create it there with the source's attributes"
          + " and password (CREATE ROLE " + ident + " LOGIN ...)");
      return;
    }
    if (!role.canLogin()) missing.add("role " + user + " may not log in on the target; run there: ALTER ROLE " + ident + " LOGIN");
    if (role.validUntil() != null && role.validUntil().toInstant().isBefore(Instant.now())) {
      missing.add("role " + user + "'s password expired on the target at " + role.validUntil().toInstant()
          + "; run there: ALTER ROLE " + ident + " VALID UNTIL 'infinity' (or a later date)");
    }
    if (!role.connect()) {
      missing.add("role " + user + " lacks CONNECT on the target database; run there: GRANT CONNECT ON DATABASE "
          + Sql.ident(database) + " TO " + ident);
    }
  }

  /** Role and database connection limits and max_connections against the peaks the source showed. */
  private static void limits(Connection t, MigrationPlan plan, PgClientLog.Observed seen, String database,
      Set<String> blockers) throws SQLException {
    for (ClientSeen client : seen.clients()) {
      if (plan.retiredClientsOrNone().stream().anyMatch(r -> matches(r, client))) continue;
      int peak = seen.userPeaks().getOrDefault(client.user(), 0);
      Integer limit = Sql.one(t, "SELECT rolconnlimit FROM pg_roles WHERE rolname = ?", rs -> rs.getInt(1), client.user());
      if (limit != null && limit >= 0 && limit < peak) {
        blockers.add("role " + client.user() + " may open " + limit + " connection(s) on the target, the source saw "
            + peak + " at once; run there: ALTER ROLE " + Sql.ident(client.user()) + " CONNECTION LIMIT " + peak);
      }
    }
    int databasePeak = seen.databasePeak();
    Integer dbLimit = Sql.one(t, "SELECT datconnlimit FROM pg_database WHERE datname = current_database()",
        rs -> rs.getInt(1));
    if (dbLimit != null && dbLimit >= 0 && dbLimit < databasePeak) {
      blockers.add("database " + database + " allows " + dbLimit + " connection(s) on the target, the source saw "
          + databasePeak + " at once; run there: ALTER DATABASE " + Sql.ident(database) + " CONNECTION LIMIT "
          + databasePeak);
    }
    int serverPeak = Math.max(databasePeak, seen.serverPeak());
    Integer usable = Sql.one(t, "SELECT current_setting('max_connections')::int"
        + " - current_setting('superuser_reserved_connections')::int", rs -> rs.getInt(1));
    if (usable != null && usable < serverPeak) {
      blockers.add("the target admits " + usable + " non-superuser connection(s) (max_connections less"
          + " superuser_reserved_connections), the source served " + serverPeak + " at once; raise max_connections"
          + " on the target (ALTER SYSTEM SET max_connections = " + (serverPeak + 10) + ", then restart it)");
    }
  }

  static boolean matches(RetiredClient r, ClientSeen c) {
    return r.matches(c.user(), c.address(), c.applicationName());
  }

  /** Clients not admitted first; the lists are cut to {@link ClientAccess#LISTED} to keep the record small. */
  private static ClientAccess bounded(List<ClientAdmission> admissions, List<String> blockers) {
    List<ClientAdmission> sorted = admissions.stream()
        .sorted(Comparator.comparing(ClientAdmission::admitted).thenComparing(a -> a.client().user())).toList();
    int n = ClientAccess.LISTED;
    return new ClientAccess(List.copyOf(sorted.subList(0, Math.min(n, sorted.size()))),
        Math.max(0, sorted.size() - n), List.copyOf(blockers.subList(0, Math.min(n, blockers.size()))),
        Math.max(0, blockers.size() - n), Instant.now().toString());
  }
}
