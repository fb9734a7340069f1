package dev.phaseshift.workflow;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.PlanInputErrors;
import io.temporal.api.common.v1.Payload;
import io.temporal.common.converter.DataConverter;
import io.temporal.common.converter.DefaultDataConverter;
import io.temporal.common.converter.JacksonJsonPayloadConverter;
import io.temporal.common.converter.PayloadConverter;
import java.io.IOException;
import java.lang.reflect.Type;
import java.util.Optional;

/**
 * The JSON payload converter with a strict reader for {@link MigrationPlan}: a plan sent through
 * the Web UI or {@code temporal workflow start} with a misspelt field or a password written inline
 * becomes an {@link InvalidPlanInput} that names the field, never its value. Every other type is
 * read and written exactly as the SDK's default JSON converter does.
 */
public final class PlanPayloadConverter implements PayloadConverter {
  private static final ObjectMapper PLAN_READER = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private final JacksonJsonPayloadConverter json = new JacksonJsonPayloadConverter();

  /** The SDK's default converter chain with this one in place of its JSON converter. */
  public static DataConverter dataConverter() {
    return DefaultDataConverter.newDefaultInstance().withPayloadConverterOverrides(new PlanPayloadConverter());
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
    if (valueClass != MigrationPlan.class) return json.fromData(content, valueClass, valueType);
    if (content.getData().isEmpty()) return null;
    try {
      return valueClass.cast(PLAN_READER.readValue(content.getData().toByteArray(), MigrationPlan.class));
    } catch (JsonProcessingException e) {
      throw new InvalidPlanInput("the plan cannot be read; nothing was changed: " + PlanInputErrors.describe(e));
    } catch (IOException e) {
      throw new InvalidPlanInput("the plan cannot be read; nothing was changed");
    }
  }
}
