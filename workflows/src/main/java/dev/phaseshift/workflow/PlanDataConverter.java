package dev.phaseshift.workflow;

import io.temporal.common.converter.DefaultDataConverter;
import io.temporal.common.converter.PayloadConverter;
import java.util.function.Consumer;

/**
 * The SDK's default converter chain with {@link PlanPayloadConverter} for JSON. A worker attaches
 * the eraser to the converter of its own client ({@code PhaseshiftWorkers}), so every client built
 * with {@link PlanPayloadConverter#dataConverter()} gets it without further wiring; a client that
 * only starts and watches runs (the CLI) attaches none.
 */
public final class PlanDataConverter extends DefaultDataConverter {
  private final PlanPayloadConverter plans;

  PlanDataConverter(PlanPayloadConverter plans) {
    super(withJson(plans));
    this.plans = plans;
  }

  /** From now on, a run whose input holds a secret is handed (by workflow id) to this eraser. */
  public void eraseInputsWith(Consumer<String> eraseRunsOf) {
    plans.eraseInputsWith(eraseRunsOf);
  }

  private static PayloadConverter[] withJson(PlanPayloadConverter plans) {
    PayloadConverter[] converters = DefaultDataConverter.STANDARD_PAYLOAD_CONVERTERS.clone();
    for (int i = 0; i < converters.length; i++) {
      if (converters[i].getEncodingType().equals(plans.getEncodingType())) converters[i] = plans;
    }
    return converters;
  }
}
