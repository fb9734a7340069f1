package dev.phaseshift.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phaseshift.workflow.TaskQueues;
import io.temporal.worker.WorkerFactory;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.client.TestRestTemplate;

// Spring Boot turns metrics export off in tests unless asked; the endpoint is what we check.
@AutoConfigureObservability
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"spring.temporal.test-server.enabled=true"})
class WorkerApplicationTest {
  @Autowired WorkerConfiguration workers;
  @Autowired TestRestTemplate http;

  @Test
  void pollsTheMigrationQueueAndReportsHealthAndMetrics() {
    WorkerFactory factory = workers.factory();
    assertThat(factory.getWorker(TaskQueues.MIGRATIONS)).isNotNull();
    assertThat(factory.isStarted()).isTrue();
    assertThat(http.getForObject("/actuator/health", String.class)).contains("\"UP\"");
    assertThat(http.getForObject("/actuator/prometheus", String.class)).contains("jvm_memory_used_bytes");
  }
}
