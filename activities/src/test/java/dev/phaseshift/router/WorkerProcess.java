package dev.phaseshift.router;

import dev.phaseshift.activities.MigrationActivitiesImpl;
import dev.phaseshift.engine.EngineRegistry;
import dev.phaseshift.engine.postgres.PostgresEngine;
import dev.phaseshift.plan.MigrationPlan;
import io.temporal.api.common.v1.Payload;
import io.temporal.common.converter.GlobalDataConverter;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;

/**
 * A worker as a process of its own, so a test can kill it the way a host or an OOM killer does
 * ({@code kill -9}): it runs the switchover or rollback activity for the plan it is given, with
 * the real engine and router, exactly as the worker would.
 */
final class WorkerProcess {
  private static final String PLAN_ENV = "PHASESHIFT_TEST_PLAN";

  private WorkerProcess() {}

  public static void main(String[] args) throws Exception {
    byte[] bytes = Base64.getDecoder().decode(System.getenv(PLAN_ENV));
    MigrationPlan plan = GlobalDataConverter.get().fromPayload(Payload.parseFrom(bytes), MigrationPlan.class,
        MigrationPlan.class);
    MigrationActivitiesImpl activities = new MigrationActivitiesImpl(new EngineRegistry(List.of(new PostgresEngine())));
    System.out.println(args[0]);
    System.out.println("rollback".equals(args[0]) ? activities.rollback(plan) : activities.switchover(plan));
  }

  /** Starts the switchover of {@code plan} in a new JVM on this test's class path. */
  static Process switchover(MigrationPlan plan, Path log) throws Exception {
    return start("switchover", plan, log);
  }

  /** Starts the rollback of {@code plan} in a new JVM on this test's class path. */
  static Process rollback(MigrationPlan plan, Path log) throws Exception {
    return start("rollback", plan, log);
  }

  private static Process start(String step, MigrationPlan plan, Path log) throws Exception {
    Payload payload = GlobalDataConverter.get().toPayload(plan).orElseThrow();
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), WorkerProcess.class.getName(), step);
    pb.environment().put(PLAN_ENV, Base64.getEncoder().encodeToString(payload.toByteArray()));
    pb.redirectErrorStream(true);
    pb.redirectOutput(log.toFile());
    return pb.start();
  }
}
