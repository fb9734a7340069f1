package dev.phaseshift.testing;

import dev.phaseshift.activities.PhaseshiftWorkers;
import dev.phaseshift.workflow.TaskQueues;
import io.temporal.client.WorkflowClient;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerFactoryOptions;
import java.util.concurrent.TimeUnit;

/** A Phaseshift worker in the test's JVM, on the migrations' task queue; {@link #close()} stops it. */
public final class InProcessWorker implements AutoCloseable {
  private final WorkerFactory factory;

  public InProcessWorker(WorkflowClient client) {
    this(client, WorkerFactoryOptions.getDefaultInstance());
  }

  public InProcessWorker(WorkflowClient client, WorkerFactoryOptions options) {
    factory = WorkerFactory.newInstance(client, options);
    PhaseshiftWorkers.register(factory, TaskQueues.MIGRATIONS);
    factory.start();
  }

  /** Stops polling and interrupts running steps, as far as a worker in the same JVM can die. */
  @Override
  public void close() throws InterruptedException {
    factory.shutdownNow();
    factory.awaitTermination(10, TimeUnit.SECONDS);
  }
}
