package dev.phaseshift.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.cli.PhaseshiftCli;
import dev.phaseshift.embedded.EmbeddedPostgresServer;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.model.OperatorRequest;
import dev.phaseshift.model.Phase;
import dev.phaseshift.testing.InProcessWorker;
import dev.phaseshift.testing.TemporalDevServer;
import dev.phaseshift.workflow.MigrationActivities;
import dev.phaseshift.workflow.MigrationWorkflow;
import dev.phaseshift.workflow.TaskQueues;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.client.WorkflowStub;
import io.temporal.common.interceptors.ActivityInboundCallsInterceptor;
import io.temporal.common.interceptors.ActivityInboundCallsInterceptorBase;
import io.temporal.common.interceptors.WorkerInterceptorBase;
import io.temporal.worker.WorkerFactoryOptions;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A table copy whose worker stops dead: after its first heartbeat the next never returns, so from Temporal's side
 * the copy goes silent, as with a worker killed mid-copy. {@code phaseshift status} must say
 * "worker lost" within seconds instead of showing the last progress as if it were running, and
 * the copy must be retried soon after the copies' heartbeat timeout, not minutes later.
 */
class WorkerLostStatusTest {
  @RegisterExtension static final TemporalDevServer temporal = new TemporalDevServer();

  /** Holds the first copy attempt's heartbeat until the test ends. */
  static final CountDownLatch frozen = new CountDownLatch(1);
  static final CountDownLatch release = new CountDownLatch(1);

  /** Freezes the first attempt of every table copy at its second heartbeat, as a dead worker would stop. */
  static final class DeadOnFirstCopy extends WorkerInterceptorBase {
    @Override
    public ActivityInboundCallsInterceptor interceptActivity(ActivityInboundCallsInterceptor next) {
      return new ActivityInboundCallsInterceptorBase(next) {
        @Override
        public void init(ActivityExecutionContext context) {
          boolean dies = "CopyTable".equals(context.getInfo().getActivityType()) && context.getInfo().getAttempt() == 1;
          super.init(dies ? freezingHeartbeats(context) : context);
        }
      };
    }

    /** The first heartbeat reaches Temporal (the copy reported progress), the second never returns. */
    private static ActivityExecutionContext freezingHeartbeats(ActivityExecutionContext context) {
      AtomicInteger beats = new AtomicInteger();
      return (ActivityExecutionContext) Proxy.newProxyInstance(ActivityExecutionContext.class.getClassLoader(),
          new Class<?>[] {ActivityExecutionContext.class}, (proxy, method, args) -> {
            if (method.getName().equals("heartbeat") && beats.incrementAndGet() > 1) {
              frozen.countDown();
              release.await();
              throw new IllegalStateException("the worker was dead");
            }
            try {
              return method.invoke(context, args);
            } catch (java.lang.reflect.InvocationTargetException e) {
              throw e.getCause();
            }
          });
    }
  }

  static String status(String name) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = PhaseshiftCli.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
        .execute("status", name, "--address", temporal.address());
    return "exit " + code + "\n" + out + err;
  }

  @Test
  void aSilentCopyShowsAsWorkerLostWithinSecondsAndIsRetriedAfterTheHeartbeatTimeout() throws Exception {
    try (EmbeddedPostgresServer source = EmbeddedPostgresServer.start();
         EmbeddedPostgresServer target = EmbeddedPostgresServer.start()) {
      source.createDatabase("shop");
      target.createDatabase("shop");
      try (Connection c = source.connect("shop"); Statement s = c.createStatement()) {
        s.execute("CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)");
        s.execute("INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 500) g");
      }
      InProcessWorker worker = new InProcessWorker(temporal.client(),
          WorkerFactoryOptions.newBuilder().setWorkerInterceptors(new DeadOnFirstCopy()).build());
      try {
        temporal.cli("workflow", "start", "--task-queue", TaskQueues.MIGRATIONS, "--type", MigrationWorkflow.TYPE,
            "--workflow-id", "migration-lost", "--input", "{\"name\":\"lost\",\"source\":{\"url\":\""
                + source.jdbcUrl("shop") + "\",\"user\":\"postgres\"},\"target\":{\"url\":\"" + target.jdbcUrl("shop")
                + "\",\"user\":\"postgres\"},\"approvalRequired\":false,\"retention\":\"1s\","
                + "\"assessment\":{\"sample\":\"0s\"}}");
        assertTrue(frozen.await(90, TimeUnit.SECONDS), "the copy started");
        long silentSince = System.nanoTime();

        String lost = status("lost");
        while (!lost.contains("worker lost") && seconds(silentSince) < 40) {
          Thread.sleep(500);
          lost = status("lost");
        }
        long noticed = seconds(silentSince);
        assertTrue(lost.contains("CopyTable: worker lost"), lost);
        assertTrue(lost.contains("public.items") && lost.contains("worker lost (progress as last reported)"), lost);
        assertTrue(noticed <= 15, "status said 'worker lost' " + noticed + " s after the copy went silent:\n" + lost);

        // A killed process's sockets close with it: the session holding the table's copy lock goes too.
        try (Connection t = target.connect("shop"); Statement s = t.createStatement()) {
          s.execute("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND pid <> pg_backend_pid()");
        }
        MigrationWorkflow workflow = temporal.client().newWorkflowStub(MigrationWorkflow.class, "migration-lost");
        MigrationStatus after = workflow.status();
        while (after.phase() == Phase.MIGRATE && after.tablesCopied() == 0 && seconds(silentSince) < 120) {
          Thread.sleep(500);
          after = workflow.status();
        }
        long retried = seconds(silentSince);
        assertEquals(1, after.tablesCopied(), "the copy was retried: " + after + "\n" + status("lost"));
        long timeout = MigrationActivities.COPY_HEARTBEAT_TIMEOUT.toSeconds();
        assertTrue(retried <= timeout + 15, "copied again " + retried + " s after its worker went silent");
        System.out.println("status said 'worker lost' " + noticed + " s after the copy went silent; the table was copied"
            + " again " + retried + " s after (heartbeat timeout " + timeout + " s)");

        while (!workflow.status().waitingFor().startsWith("connectionSwitched")) {
          assertTrue(seconds(silentSince) < 180, "the switchover's connection wait: " + workflow.status());
          Thread.sleep(500);
        }
        workflow.connectionSwitched(new OperatorRequest("ops", "app moved"));
        WorkflowStub.fromTyped(workflow).getResult(dev.phaseshift.model.MigrationReport.class);
        try (Connection t = target.connect("shop"); Statement s = t.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM items")) {
          rs.next();
          assertEquals(500, rs.getLong(1), "every row arrived once");
        }
      } finally {
        release.countDown();
        worker.close();
      }
    }
  }

  private static long seconds(long sinceNanos) {
    return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - sinceNanos);
  }
}
