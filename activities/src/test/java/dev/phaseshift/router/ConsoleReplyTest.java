package dev.phaseshift.router;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The console's CSV output, on text: the cases a test PgBouncer does not produce. */
class ConsoleReplyTest {
  @Test
  void readsPsqlCsv() {
    List<Map<String, String>> rows = PsqlCsv.rows(
        "name,host,pool_mode,paused\napp,127.0.0.1,,1\n\"we,ird\",\"say \"\"hi\"\"\",transaction,0\n");
    assertEquals(2, rows.size());
    assertEquals("app", rows.get(0).get("name"));
    assertEquals("", rows.get(0).get("pool_mode"));
    assertEquals("1", rows.get(0).get("paused"));
    assertEquals("we,ird", rows.get(1).get("name"));
    assertEquals("say \"hi\"", rows.get(1).get("host"));
    assertEquals("transaction", rows.get(1).get("pool_mode"));
  }

  @Test
  void splitsOnePsqlRunIntoItsListings() {
    String sep = ConsoleReply.SEPARATOR;
    ConsoleReply both = ConsoleReply.listings(
        "name,pool_mode\napp,\n" + sep + "\nkey,value\npool_mode,transaction\n");
    assertEquals(List.of(Map.of("name", "app", "pool_mode", "")), both.rows());
    assertEquals(List.of(Map.of("key", "pool_mode", "value", "transaction")), both.next().rows());
    assertEquals(List.of(), ConsoleReply.listings("").next().rows(), "no second listing: none");
  }
}
