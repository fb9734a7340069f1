package dev.phaseshift.plan;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Which clients a retirement means: workflow code matches with it too, so it never looks a name up. */
class RetiredClientTest {
  @Test
  void addressesAndRangesOfBothFamiliesMatchAndAFieldLeftOutMatchesAny() {
    RetiredClient export = new RetiredClient(null, "10.1.9.0/24", "nightly-export", "moves to the warehouse");
    assertTrue(export.matches("etl", "10.1.9.77", "nightly-export"));
    assertFalse(export.matches("etl", "10.1.10.1", "nightly-export"), "outside the range");
    assertFalse(export.matches("etl", "10.1.9.77", "billing"), "another application");
    assertTrue(new RetiredClient("app", "fd00::/16", null, "x").matches("app", "fd00:0:1::7", "any"));
    assertTrue(new RetiredClient(null, "local", null, "x").matches("cron", "local", ""));
    assertFalse(new RetiredClient(null, "local", null, "x").matches("cron", "127.0.0.1", ""));
  }

  @Test
  void onlyLiteralsAreAddresses() {
    assertTrue(RetiredClient.validAddress("10.0.0.7"));
    assertTrue(RetiredClient.validAddress("10.1.0.0/16"));
    assertTrue(RetiredClient.validAddress("::1"));
    assertTrue(RetiredClient.validAddress("local"));
    assertFalse(RetiredClient.validAddress("db-client.example.com"), "a host name would need DNS");
    assertFalse(RetiredClient.validAddress("999.1.1.1"), "not an address, and Java would look it up as a name");
    assertFalse(new RetiredClient(null, "999.1.1.1", null, "x").matches("u", "999.1.1.1", "a"));
  }
}
