package dev.phaseshift.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.InvalidPlanInput;
import dev.phaseshift.workflow.PlanDataConverter;
import io.temporal.api.common.v1.Payload;
import io.temporal.common.converter.DataConverter;

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
    // Only a worker on a physically seeded target's host serves the seeding queue.
    assertThatThrownBy(() -> factory.getWorker(TaskQueues.seeding(TaskQueues.MIGRATIONS)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(factory.isStarted()).isTrue();
    assertThat(http.getForObject("/actuator/health", String.class)).contains("\"UP\"");
    assertThat(http.getForObject("/actuator/prometheus", String.class)).contains("jvm_memory_used_bytes");
  }

  @Test
  void theWorkersClientReadsPlansStrictlyAndNamesFieldsNotValues() {
    DataConverter converter = workers.factory().getWorkflowClient().getOptions().getDataConverter();
    // The worker attaches the eraser of runs whose input held a secret to exactly this type.
    assertThat(converter).isInstanceOf(PlanDataConverter.class);
    Payload inline = Payload.newBuilder()
        .putMetadata("encoding", ByteString.copyFromUtf8("json/plain"))
        .setData(ByteString.copyFromUtf8("{\"name\":\"x\",\"source\":{\"url\":\"jdbc:postgresql://a/b\","
            + "\"password\":\"hunter2\"}}"))
        .build();
    assertThatThrownBy(() -> converter.fromPayload(inline, MigrationPlan.class, MigrationPlan.class))
        .isInstanceOf(InvalidPlanInput.class)
        .hasMessageContaining("source.password: write {env: NAME} or {file: PATH}")
        .hasMessageNotContaining("hunter2");
  }
}
