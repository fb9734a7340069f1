package dev.phaseshift.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phaseshift.activities.MigrationMetrics;
import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.testing.PgPair;
import io.temporal.client.WorkflowClient;
import io.temporal.spring.boot.TemporalOptionsCustomizer;
import io.temporal.testing.TestEnvironmentOptions;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.context.annotation.Bean;
import org.springframework.test.annotation.DirtiesContext;

/**
 * The worker as deployed (Spring Boot, the starter's client, Prometheus registry) runs a real
 * migration between two embedded PostgreSQL servers; its /actuator/prometheus then shows the
 * migration's metrics tagged with its name, and the Temporal SDK's own metrics.
 */
@AutoConfigureObservability
@DirtiesContext
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"spring.temporal.test-server.enabled=true"})
class WorkerMetricsTest {
  static final PgPair pg = new PgPair();

  /** SDK series the worker exports; the Grafana dashboard may use these (ComposeStackTest checks). */
  static final List<String> TEMPORAL_METRICS = List.of(
      "temporal_workflow_completed_total",
      "temporal_workflow_task_schedule_to_start_latency_seconds_bucket",
      "temporal_workflow_task_schedule_to_start_latency_seconds_count",
      "temporal_activity_schedule_to_start_latency_seconds_bucket",
      "temporal_activity_execution_latency_seconds_bucket",
      "temporal_activity_execution_latency_seconds_count",
      "temporal_worker_task_slots_available",
      "temporal_request_total");

  /**
   * SDK counters that appear only once what they count has happened (a failed request); the
   * dashboard may chart them, but a healthy run does not export them.
   */
  static final List<String> TEMPORAL_EVENT_METRICS = List.of("temporal_request_failure_total");

  @TestConfiguration
  static class RealTime {
    /** The copy and the lag polling run in real time; skipped time would expire their timeouts. */
    @Bean
    TemporalOptionsCustomizer<TestEnvironmentOptions.Builder> noTimeSkipping() {
      return options -> options.setUseTimeskipping(false);
    }
  }

  @Autowired WorkflowClient client;
  @Autowired io.temporal.testing.TestWorkflowEnvironment testServer;
  @Autowired TestRestTemplate http;
  @Autowired WorkerConfiguration workers;

  @AfterAll
  static void stopServers() {
    pg.close();
  }

  @Test
  void migrationAndTemporalMetricsAreExportedTaggedByMigration() throws Exception {
    // Migrations publish typed search attributes; a server must know them, the test server too.
    for (String name : dev.phaseshift.workflow.MigrationSearchAttributes.NAMES) {
      testServer.registerSearchAttribute(name, io.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
    }
    TestMigrations.createTables(pg);
    MigrationReport report = TestMigrations.migrate(client, pg, "metrics");
    assertThat(report.outcome()).isEqualTo("COMPLETED");
    try (Connection t = pg.target()) {
      assertThat(TestMigrations.count(t, "items") + TestMigrations.count(t, "events")).isEqualTo(TestMigrations.ROWS);
    }

    Scrape scrape = Scrape.parse(http.getForObject("/actuator/prometheus", String.class));
    String migration = "migration=\"metrics\"";
    assertThat(scrape.sum("phaseshift_copy_rows_total", migration)).isEqualTo(TestMigrations.ROWS);
    assertThat(scrape.sum("phaseshift_copy_rows_total", migration, "table=\"public.items\"")).isEqualTo(TestMigrations.ROWS - 1000);
    assertThat(scrape.sum("phaseshift_copy_bytes_total", migration)).isPositive();
    assertThat(scrape.sum("phaseshift_copy_tables_total", migration)).isEqualTo(2);
    assertThat(scrape.has("phaseshift_replication_lag_bytes", migration)).isTrue();
    assertThat(scrape.sum("phaseshift_validation_mismatches", migration)).isZero();
    assertThat(scrape.sum("phaseshift_write_freeze_milliseconds", migration))
        .isEqualTo((double) report.switchover().writeFreezeMillis());
    for (String step : new String[] {"assess", "createTargetSchema", "startChangeCapture", "copyTable",
        "finishTargetSchema", "startChangeStream", "measureLag", "validate", "switchover", "verify", "decommission"}) {
      assertThat(scrape.sum("phaseshift_step_seconds_count", migration, "step=\"" + step + "\"", "outcome=\"success\""))
          .as(step).isGreaterThanOrEqualTo(1);
    }
    assertThat(scrape.names()).containsAll(MigrationMetrics.PROMETHEUS_NAMES);

    // The SDK's metrics reach Micrometer through a tally scope that reports every 10 seconds.
    List<String> temporal = TEMPORAL_METRICS;
    long deadline = System.currentTimeMillis() + 25_000;
    while (!scrape.names().containsAll(temporal) && System.currentTimeMillis() < deadline) {
      Thread.sleep(500);
      scrape = Scrape.parse(http.getForObject("/actuator/prometheus", String.class));
    }
    assertThat(scrape.names()).containsAll(temporal);
    assertThat(scrape.has("temporal_activity_execution_latency_seconds_count", "activity_type=\"CopyTable\"")).isTrue();

    // What Spring calls at shutdown, before the client goes: polling ends, running steps finish.
    workers.stop();
    assertThat(workers.factory().isTerminated()).isTrue();
    assertThat(workers.isRunning()).isFalse();
  }
}
