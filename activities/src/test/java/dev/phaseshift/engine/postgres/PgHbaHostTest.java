package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.ClientAccessTesting.hba;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.embedded.EmbeddedPostgresServer;
import dev.phaseshift.model.ClientSeen;
import java.sql.Connection;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Rules by host name, samehost and samenet, as a real server's pg_hba_file_rules shows them: each
 * is judged as the server would where the worker can know it, and otherwise reported as
 * undecided, never counted as admitting the client.
 */
class PgHbaHostTest {
  static final String SERVER = "192.0.2.10";
  static EmbeddedPostgresServer server;
  static PgHbaRules rules;

  /** DNS answers chosen by the test: a proper name, a suffix match, and a forged PTR record. */
  static final PgHbaHost.Dns DNS = new PgHbaHost.Dns() {
    final Map<String, String> ptr = Map.of("10.5.5.5", "DB-Client.example.test", "10.6.6.6", "etl.corp.test",
        "10.7.7.7", "db-client.example.test");
    final Map<String, List<String>> a = Map.of("db-client.example.test", List.of("10.5.5.5"),
        "etl.corp.test", List.of("10.6.6.6"));

    @Override
    public String reverse(String address) {
      return ptr.get(address);
    }

    @Override
    public List<String> forward(String name) {
      return a.getOrDefault(name.toLowerCase(), List.of());
    }
  };

  @BeforeAll
  static void start() throws Exception {
    server = EmbeddedPostgresServer.start();
    hba(server, "local all all trust", "host all postgres 127.0.0.1/32 trust",
        "host shop app samehost scram-sha-256", "host shop web samenet md5",
        "host shop batch db-client.example.test scram-sha-256", "host shop batch .corp.test scram-sha-256",
        "host all all 10.0.0.0/8 reject");
    try (Connection c = server.connect("postgres")) {
      rules = PgHbaRules.read(c);
    }
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
  }

  static PgHbaRules.Judgement judge(String user, String address) {
    ClientSeen client = new ClientSeen(user, "shop", address, "x", false, Instant.EPOCH.toString(),
        Instant.EPOCH.toString(), 1, 1);
    return rules.judge(client, "shop", (u, g) -> false, new PgHbaHost(SERVER, DNS));
  }

  @Test
  void samehostAndSamenetAdmitTheServersOwnAddressesAndLoopback() {
    assertEquals(3, judge("app", "127.0.0.1").rule().line());
    assertNull(judge("app", "127.0.0.1").undecidedBecause());
    assertEquals(3, judge("app", SERVER).rule().line(), "the address the worker reaches the server at is its own");
    assertNull(judge("web", SERVER).undecidedBecause(), "a host is in its own subnet");
  }

  @Test
  void samehostAndSamenetForAnyOtherAddressAreUndecidedNamingTheLine() {
    PgHbaRules.Judgement samehost = judge("app", "10.1.2.3");
    assertEquals(3, samehost.rule().line());
    assertTrue(samehost.undecidedBecause().contains("pg_hba.conf line 3") && samehost.undecidedBecause()
        .contains("uses samehost"), samehost.undecidedBecause());
    PgHbaRules.Judgement samenet = judge("web", "10.1.2.3");
    assertEquals(4, samenet.rule().line());
    assertTrue(samenet.undecidedBecause().contains("uses samenet"), samenet.undecidedBecause());
    // Never taken as a decision by the lookup that looks only for a deciding rule.
    ClientSeen web = new ClientSeen("web", "shop", "10.1.2.3", "x", false, "", "", 1, 1);
    assertTrue(rules.decide(web, "shop", (u, g) -> false).isEmpty());
  }

  @Test
  void hostNamesAreResolvedBackwardsAndForwardsAsTheServerDoes() {
    assertEquals(5, judge("batch", "10.5.5.5").rule().line(), "exact name, any letter case, confirmed forwards");
    assertEquals(6, judge("batch", "10.6.6.6").rule().line(), "a name starting with a dot matches the suffix");
    assertEquals(7, judge("batch", "10.7.7.7").rule().line(), "a PTR record the name does not confirm");
    assertEquals(7, judge("batch", "10.8.8.8").rule().line(), "no PTR record");
    assertEquals("reject", judge("batch", "10.8.8.8").rule().method());
  }
}
