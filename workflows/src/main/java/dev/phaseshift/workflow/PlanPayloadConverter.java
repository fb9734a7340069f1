package dev.phaseshift.workflow;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.phaseshift.plan.InlineSecrets;
import dev.phaseshift.plan.FleetPlan;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.PlanInputErrors;
import io.temporal.api.common.v1.Payload;
import io.temporal.common.converter.DataConverterException;
import io.temporal.common.converter.JacksonJsonPayloadConverter;
import io.temporal.common.converter.PayloadConverter;
import io.temporal.payload.context.SerializationContext;
import io.temporal.payload.context.WorkflowSerializationContext;
import io.temporal.workflow.unsafe.WorkflowUnsafe;
import java.io.IOException;
import java.lang.reflect.Type;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The JSON payload converter with a strict reader for {@link MigrationPlan}: a plan sent through
 * the Web UI or {@code temporal workflow start} with a misspelt field becomes an
 * {@link InvalidPlanInput} that names the field, never its value. A plan that holds a secret fails
 * the same way, and the workflow's id is handed to the eraser (see {@link PlanDataConverter}),
 * since Temporal keeps the input in the run's history. Every other type is read and written
 * exactly as the SDK's default JSON converter does.
 */
public final class PlanPayloadConverter implements PayloadConverter {
  private static final ObjectMapper PLAN_READER = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private static final long START_TIMEOUT_SECONDS = 10;

  private final JacksonJsonPayloadConverter json = new JacksonJsonPayloadConverter();
  /** Shared with every per-workflow copy, so an eraser attached later reaches them all. */
  private final AtomicReference<Consumer<String>> eraser;
  /** Set when this copy reads payloads of one workflow; only then is there a run to erase. */
  private final String workflowId;

  public PlanPayloadConverter() {
    this(new AtomicReference<>(), null);
  }

  private PlanPayloadConverter(AtomicReference<Consumer<String>> eraser, String workflowId) {
    this.eraser = eraser;
    this.workflowId = workflowId;
  }

  /** The SDK's default converter chain with this one in place of its JSON converter. */
  public static PlanDataConverter dataConverter() {
    return new PlanDataConverter(new PlanPayloadConverter());
  }

  /** Called with the workflow id of each run whose input held a secret; see {@link PlanDataConverter}. */
  void eraseInputsWith(Consumer<String> eraseRunsOf) {
    eraser.set(eraseRunsOf);
  }

  @Override
  public PayloadConverter withContext(SerializationContext context) {
    return new PlanPayloadConverter(eraser,
        context instanceof WorkflowSerializationContext w ? w.getWorkflowId() : null);
  }

  @Override
  public String getEncodingType() {
    return json.getEncodingType();
  }

  @Override
  public Optional<Payload> toData(Object value) {
    return json.toData(value);
  }

  @Override
  public <T> T fromData(Payload content, Class<T> valueClass, Type valueType) {
    // A fleet plan holds migration plans (its template, full plans), so it is read as strictly.
    if (valueClass != MigrationPlan.class && valueClass != FleetPlan.class) return json.fromData(content, valueClass, valueType);
    if (content.getData().isEmpty()) return null;
    byte[] raw = content.getData().toByteArray();
    JsonNode tree;
    try {
      tree = PLAN_READER.readTree(raw);
    } catch (IOException e) {
      if (InlineSecrets.mentionsPassword(raw)) throw heldSecret(List.of("top level"));
      String why = e instanceof JsonProcessingException p ? ": " + PlanInputErrors.describe(p) : "";
      throw new InvalidPlanInput("the plan cannot be read; nothing was changed" + why);
    }
    List<String> erasedAt = InlineSecrets.standInFields(tree);
    if (erasedAt != null) throw new InvalidPlanInput(InlineSecrets.message(erasedAt) + " " + InlineSecrets.DELETED);
    List<String> secrets = InlineSecrets.fields(tree);
    if (!secrets.isEmpty()) throw heldSecret(secrets);
    try {
      return PLAN_READER.treeToValue(tree, valueClass);
    } catch (JsonProcessingException e) {
      throw new InvalidPlanInput("the plan cannot be read; nothing was changed: " + PlanInputErrors.describe(e));
    }
  }

  /**
   * Hands the run to the eraser before the run fails, so a worker that dies in between leaves a
   * workflow task that the next worker repeats. Only a workflow's first execution does: a replay
   * (a query to the failed run) finds the eraser already under way.
   */
  private InvalidPlanInput heldSecret(List<String> fields) {
    Consumer<String> erase = eraser.get();
    if (erase != null && workflowId != null && WorkflowUnsafe.isWorkflowThread() && !WorkflowUnsafe.isReplaying()) {
      // The deadlock detector would count the wait for the server as a stuck workflow.
      WorkflowUnsafe.deadlockDetectorOff(() -> startEraser(erase));
    }
    return new InvalidPlanInput(InlineSecrets.message(fields));
  }

  /** The client refuses calls from a workflow thread, so the start runs beside it. */
  private void startEraser(Consumer<String> erase) {
    try {
      CompletableFuture.runAsync(() -> erase.accept(workflowId)).get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw notScheduled(e);
    } catch (ExecutionException | TimeoutException e) {
      throw notScheduled(e);
    }
  }

  /** The workflow task fails and is retried; its failure names no value of the input. */
  private static DataConverterException notScheduled(Exception e) {
    Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
    return new DataConverterException("the input holds a password and its deletion could not be scheduled yet;"
        + " retrying (" + cause.getClass().getSimpleName() + ")");
  }
}
