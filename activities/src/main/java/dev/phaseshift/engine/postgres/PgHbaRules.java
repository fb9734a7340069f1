package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.ClientSeen;
import java.sql.Array;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.BiPredicate;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A server's client authentication rules as {@code pg_hba_file_rules} shows them (the file on
 * disk, which is what the server uses once it is reloaded), matched the way the server does: the
 * first rule whose connection type, database, user and address fit decides, and {@code reject}
 * refuses.
 */
final class PgHbaRules {
  /** One line of pg_hba.conf; {@code address} and {@code netmask} are null for local rules. */
  record Rule(int line, String type, List<String> databases, List<String> users, String address, String netmask,
      String method) {
    String describe() {
      return "pg_hba.conf line " + line + " (" + type + " " + String.join(",", databases) + " "
          + String.join(",", users) + (address == null ? "" : " " + address + (netmask == null ? "" : "/" + netmask))
          + " " + method + ")";
    }
  }

  private final List<Rule> rules;

  PgHbaRules(List<Rule> rules) {
    this.rules = rules;
  }

  /** Reads the rules; lines with errors are left out, as the server would refuse to load them. */
  static PgHbaRules read(Connection c) throws SQLException {
    // From PostgreSQL 16 rules may come from included files, whose line numbers restart;
    // rule_number is the order the server matches them in.
    int version = Sql.one(c, "SELECT current_setting('server_version_num')::int", rs -> rs.getInt(1));
    String order = version >= 160000 ? "rule_number" : "line_number";
    return new PgHbaRules(Sql.query(c, "SELECT line_number, type, database, user_name, address, netmask, auth_method"
        + " FROM pg_hba_file_rules WHERE error IS NULL ORDER BY " + order,
        rs -> new Rule(rs.getInt(1), rs.getString(2), texts(rs.getArray(3)), texts(rs.getArray(4)),
            rs.getString(5), rs.getString(6), rs.getString(7))));
  }

  private static List<String> texts(Array array) throws SQLException {
    return array == null ? List.of() : Arrays.asList((String[]) array.getArray());
  }

  /**
   * The rule that decides for the client connecting to {@code database}, if any; a rule whose
   * address cannot be judged from the worker is passed over (used for the source's method only).
   *
   * @param memberOf whether a role is a member of another (for {@code +group} and {@code samerole})
   */
  Optional<Rule> decide(ClientSeen client, String database, BiPredicate<String, String> memberOf) {
    Judgement j = judge(client, database, memberOf, PgHbaHost.UNKNOWN);
    return Optional.ofNullable(j.undecidedBecause() == null ? j.rule() : null);
  }

  /**
   * What the server would do with the client: the first rule whose type, database and user fit and
   * whose address fits decides. A rule whose address depends on what the worker cannot see (the
   * server host's other interfaces and subnets) stops the scan undecided, since the server might
   * take it or pass it over.
   *
   * @param host what is known of the server's host: its address on the worker's connection, DNS
   */
  Judgement judge(ClientSeen client, String database, BiPredicate<String, String> memberOf, PgHbaHost host) {
    for (Rule r : rules) {
      if (!typeFits(r.type(), client) || !databaseFits(r.databases(), database, client.user(), memberOf)
          || !userFits(r.users(), client.user(), memberOf)) {
        continue;
      }
      PgHbaHost.Fit fit = "local".equals(r.type()) ? PgHbaHost.Fit.YES : host.addressFits(r.address(), r.netmask(),
          client.address());
      if (fit == PgHbaHost.Fit.YES) return new Judgement(r, null);
      if (fit == PgHbaHost.Fit.UNDECIDED) {
        return new Judgement(r, r.describe() + " uses " + PgHbaHost.kind(r.address()) + ", "
            + PgHbaHost.why(r.address()));
      }
    }
    return new Judgement(null, null);
  }

  /**
   * @param rule             the deciding rule, or the undecidable one, or null when none fits
   * @param undecidedBecause why the rule cannot be judged from the worker, or null when it decides
   */
  record Judgement(Rule rule, String undecidedBecause) {}

  private static boolean typeFits(String type, ClientSeen client) {
    boolean socket = "local".equals(client.address());
    return switch (type) {
      case "local" -> socket;
      case "host", "hostnogssenc" -> !socket;
      case "hostssl" -> !socket && client.encrypted();
      case "hostnossl" -> !socket && !client.encrypted();
      // GSS encryption is not recorded; such a rule is not counted on.
      default -> false;
    };
  }

  private static boolean databaseFits(List<String> databases, String database, String user,
      BiPredicate<String, String> memberOf) {
    for (String d : databases) {
      if (d.equals("all") || d.equals(database)) return true;
      if (d.equals("sameuser") && database.equals(user)) return true;
      if ((d.equals("samerole") || d.equals("samegroup")) && memberOf.test(user, database)) return true;
      if (d.startsWith("/") && regex(d, database)) return true;
    }
    return false;
  }

  private static boolean userFits(List<String> users, String user, BiPredicate<String, String> memberOf) {
    for (String u : users) {
      if (u.equals("all") || u.equals(user)) return true;
      if (u.startsWith("+") && memberOf.test(user, u.substring(1))) return true;
      if (u.startsWith("/") && regex(u, user)) return true;
    }
    return false;
  }

  private static boolean regex(String rule, String value) {
    try {
      return Pattern.compile(rule.substring(1)).matcher(value).find();
    } catch (PatternSyntaxException e) {
      return false;
    }
  }

  /** The line that admits the client and nothing more, e.g. {@code hostssl shop app 10.0.0.7/32 scram-sha-256}. */
  static String lineFor(ClientSeen client, String database, String method) {
    String db = hbaName(database);
    String user = hbaName(client.user());
    if ("local".equals(client.address())) return "local " + db + " " + user + " " + method;
    String bits = client.address().contains(":") ? "/128" : "/32";
    return (client.encrypted() ? "hostssl " : "host ") + db + " " + user + " " + client.address() + bits + " " + method;
  }

  /** pg_hba.conf quotes names that are keywords or hold blanks, commas or capitals. */
  private static String hbaName(String name) {
    boolean plain = name.matches("[a-z0-9_]+") && !List.of("all", "sameuser", "samerole", "samegroup",
        "replication").contains(name);
    return plain ? name : "\"" + name.replace("\"", "\"\"") + "\"";
  }
}
