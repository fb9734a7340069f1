package dev.phaseshift.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phaseshift.workflow.TaskQueues;
import io.temporal.worker.WorkerFactory;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * A worker on a physically seeded migration's target host: with {@code phaseshift.seeding-queue}
 * set it polls that queue besides the shared one (a worker without it never does; see
 * {@link WorkerApplicationTest}).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE,
    properties = {"spring.temporal.test-server.enabled=true", "phaseshift.seeding-queue=phaseshift-seeding"})
class SeedingQueueWorkerTest {
  @Autowired WorkerConfiguration workers;

  @Test
  void pollsTheSeedingQueueBesidesTheSharedOne() {
    WorkerFactory factory = workers.factory();
    assertThat(factory.getWorker(TaskQueues.seeding(TaskQueues.MIGRATIONS))).isNotNull();
    assertThat(factory.getWorker(TaskQueues.MIGRATIONS)).isNotNull();
    assertThat(factory.isStarted()).isTrue();
  }
}
