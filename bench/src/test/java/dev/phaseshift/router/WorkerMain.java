package dev.phaseshift.router;

import dev.phaseshift.activities.PhaseshiftWorkers;
import dev.phaseshift.workflow.TaskQueues;
import io.temporal.client.WorkflowClient;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.worker.WorkerFactory;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A Phaseshift worker as a process of its own, polling the migrations' task queue of the Temporal
 * server at the address it is given, as the production worker does; a test kills it with
 * {@code kill -9}.
 */
final class WorkerMain {
  private WorkerMain() {}

  public static void main(String[] args) throws Exception {
    WorkflowServiceStubs stubs = WorkflowServiceStubs.newConnectedServiceStubs(
        WorkflowServiceStubsOptions.newBuilder().setTarget(args[0]).build(), Duration.ofSeconds(30));
    WorkerFactory factory = WorkerFactory.newInstance(WorkflowClient.newInstance(stubs));
    PhaseshiftWorkers.register(factory, TaskQueues.MIGRATIONS);
    factory.start();
    System.out.println("worker polling " + TaskQueues.MIGRATIONS);
    Thread.currentThread().join();
  }

  /** Starts a worker process on this test's class path; its output goes to {@code log}. */
  static Process start(String temporalAddress, Path log) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), WorkerMain.class.getName(), temporalAddress);
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    return pb.start();
  }
}
