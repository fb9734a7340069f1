package dev.phaseshift.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RehearsalResultTest {
  @Test
  void theForecastSaysWhatTheFreezeSpendsOnObjectsNoStreamCarriesAndWhatRunsBeforeIt() {
    RehearsalResult withObjects = new RehearsalResult(1000, 10, 200, 0, 380, true, new UnstreamedWork(45, 120));
    assertEquals("380 ms (of which 120 ms for large objects and unlogged tables); materialized views refreshed"
        + " before the freeze in 45 ms", withObjects.forecastText());
    assertEquals("380 ms", new RehearsalResult(1000, 10, 200, 0, 380, true).forecastText(),
        "a result recorded before the objects were measured");
    assertEquals("unknown (the target did not catch up)",
        new RehearsalResult(1000, 10, 200, 0, -1, true, new UnstreamedWork(45, 120)).forecastText());
  }
}
