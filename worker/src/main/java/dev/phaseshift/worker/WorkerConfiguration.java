package dev.phaseshift.worker;

import dev.phaseshift.activities.PhaseshiftWorkers;
import io.micrometer.core.instrument.MeterRegistry;
import io.temporal.client.WorkflowClient;
import io.temporal.worker.WorkerFactory;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Runs Phaseshift's workers on the starter's client (connection, namespace, TLS and the SDK's
 * metrics come from {@code spring.temporal.*}). The workers are registered here rather than
 * through the starter's worker properties because the per-process copy queue's name is only known
 * at runtime.
 */
@Component
public class WorkerConfiguration implements ApplicationRunner, SmartLifecycle {
  private static final Logger log = LoggerFactory.getLogger(WorkerConfiguration.class);

  private final WorkerFactory factory;
  private final String taskQueue;
  private final MeterRegistry registry;
  private final int maxConcurrentActivities;
  private final String seedingQueue;
  private volatile boolean running;

  public WorkerConfiguration(WorkflowClient client, MeterRegistry registry,
      @Value("${phaseshift.task-queue:phaseshift}") String taskQueue,
      @Value("${phaseshift.max-concurrent-activities:" + PhaseshiftWorkers.DEFAULT_MAX_CONCURRENT_ACTIVITIES + "}")
      int maxConcurrentActivities,
      @Value("${phaseshift.seeding-queue:}") String seedingQueue) {
    this.factory = WorkerFactory.newInstance(client);
    this.seedingQueue = seedingQueue == null ? "" : seedingQueue.trim();
    this.taskQueue = taskQueue;
    this.registry = registry;
    this.maxConcurrentActivities = maxConcurrentActivities;
  }

  @Override
  public void run(ApplicationArguments args) {
    PhaseshiftWorkers.register(factory, taskQueue, registry, maxConcurrentActivities);
    if (!seedingQueue.isEmpty()) PhaseshiftWorkers.registerSeeding(factory, seedingQueue);
    factory.start();
    running = true;
    log.info("Phaseshift worker polling task queue '{}' (up to {} activities at once)",
        taskQueue, maxConcurrentActivities);
    if (!seedingQueue.isEmpty()) {
      log.info("Phaseshift worker also serves physical seeding on task queue '{}' (this must be the target host)",
          seedingQueue);
    }
  }

  public WorkerFactory factory() {
    return factory;
  }

  @Override
  public void start() {
    // started by run(), once the application is ready
  }

  /**
   * Graceful: polling stops at once and running activities get time to finish. A worker that
   * exported a migration's snapshot takes it along when it exits during the copy, and the workflow
   * starts the copy over from a new one, so that worker is best stopped after the copy phase;
   * stopping any other worker only hands its copies to the rest (they resume from their chunks).
   */
  @Override
  public void stop() {
    if (!running) return;
    log.info("Phaseshift worker stopping: no new tasks, waiting up to 30s for running activities");
    factory.shutdown();
    factory.awaitTermination(30, TimeUnit.SECONDS);
    running = false;
  }

  @Override
  public boolean isRunning() {
    return running;
  }
}
