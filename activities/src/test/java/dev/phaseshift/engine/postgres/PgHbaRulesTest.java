package dev.phaseshift.engine.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.ClientSeen;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.BiPredicate;
import org.junit.jupiter.api.Test;

/** First match decides, as in the server: connection type and TLS, database, user or group, address. */
class PgHbaRulesTest {
  static final BiPredicate<String, String> APP_IN_WRITERS = (user, group) -> user.equals("app") && group.equals("writers");
  static final PgHbaRules RULES = new PgHbaRules(List.of(
      new PgHbaRules.Rule(1, "local", List.of("all"), List.of("postgres"), null, null, "peer"),
      new PgHbaRules.Rule(2, "host", List.of("shop"), List.of("batch"), "10.0.5.0", "255.255.255.0", "reject"),
      new PgHbaRules.Rule(3, "hostssl", List.of("shop"), List.of("+writers"), "10.0.0.0", "255.255.0.0", "scram-sha-256"),
      new PgHbaRules.Rule(4, "hostnossl", List.of("sameuser"), List.of("all"), "10.0.0.0", "255.0.0.0", "md5"),
      new PgHbaRules.Rule(5, "host", List.of("all"), List.of("all"), "fd00::", "ffff:ffff::", "scram-sha-256"),
      new PgHbaRules.Rule(6, "host", List.of("all"), List.of("batch"), "10.0.0.0", "255.0.0.0", "scram-sha-256")));

  static ClientSeen client(String user, String address, boolean tls) {
    return new ClientSeen(user, "shop", address, "x", tls, Instant.EPOCH.toString(), Instant.EPOCH.toString(), 1, 1);
  }

  static Optional<Integer> line(ClientSeen c, String database) {
    return RULES.decide(c, database, APP_IN_WRITERS).map(PgHbaRules.Rule::line);
  }

  @Test
  void theFirstFittingRuleDecides() {
    assertEquals(Optional.of(3), line(client("app", "10.0.3.4", true), "shop"), "group member over TLS");
    assertEquals(Optional.empty(), line(client("app", "10.0.3.4", false), "shop"), "no TLS: hostssl does not fit");
    assertEquals(Optional.of(2), line(client("batch", "10.0.5.9", false), "shop"), "reject comes first");
    assertEquals(Optional.of(6), line(client("batch", "10.0.6.9", false), "shop"), "outside the rejected range");
    assertEquals(Optional.of(4), line(client("shop", "10.9.9.9", false), "shop"), "sameuser");
    assertEquals(Optional.of(5), line(client("web", "fd00:0:1::7", true), "shop"), "IPv6 range");
    assertEquals(Optional.of(1), line(client("postgres", "local", false), "shop"), "socket");
    assertEquals(Optional.empty(), line(client("web", "local", false), "shop"));
  }

  @Test
  void theLineToAddAdmitsExactlyTheClient() {
    assertEquals("hostssl shop app 10.0.3.4/32 scram-sha-256",
        PgHbaRules.lineFor(client("app", "10.0.3.4", true), "shop", "scram-sha-256"));
    assertEquals("host \"Shop Data\" \"all\" fd00::7/128 md5",
        PgHbaRules.lineFor(client("all", "fd00::7", false), "Shop Data", "md5"));
    assertTrue(PgHbaRules.lineFor(client("app", "local", false), "shop", "peer").equals("local shop app peer"));
  }
}
