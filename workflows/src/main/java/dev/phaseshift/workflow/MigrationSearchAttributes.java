package dev.phaseshift.workflow;

import dev.phaseshift.plan.Endpoint;
import io.temporal.common.SearchAttributeKey;

/**
 * The typed search attributes a migration publishes, so operators find migrations by phase, host
 * or requester in the Web UI and with {@code phaseshift list}. A Temporal server must have them
 * registered as Keyword attributes ({@code temporal operator search-attribute create --name
 * MigrationPhase --type Keyword}, likewise SourceHost, TargetHost, Requester, PhaseshiftFleet).
 */
public final class MigrationSearchAttributes {
  public static final SearchAttributeKey<String> PHASE = SearchAttributeKey.forKeyword("MigrationPhase");
  public static final SearchAttributeKey<String> SOURCE_HOST = SearchAttributeKey.forKeyword("SourceHost");
  public static final SearchAttributeKey<String> TARGET_HOST = SearchAttributeKey.forKeyword("TargetHost");
  public static final SearchAttributeKey<String> REQUESTER = SearchAttributeKey.forKeyword("Requester");
  /** The fleet a migration belongs to (set on the fleet and on each of its migrations), so one filter lists them. */
  public static final SearchAttributeKey<String> FLEET = SearchAttributeKey.forKeyword("PhaseshiftFleet");

  /** Every attribute's name, for registering them on a server (all are Keyword). */
  public static final java.util.List<String> NAMES =
      java.util.List.of(PHASE.getName(), SOURCE_HOST.getName(), TARGET_HOST.getName(), REQUESTER.getName(),
          FLEET.getName());

  private MigrationSearchAttributes() {}

  /** {@code host:port} of an endpoint: what operators filter by; never the database or credentials. */
  public static String host(Endpoint endpoint) {
    if (endpoint == null) return "";
    String hostAndDb = endpoint.hostAndDatabase();
    int slash = hostAndDb.indexOf('/');
    return slash < 0 ? hostAndDb : hostAndDb.substring(0, slash);
  }
}
