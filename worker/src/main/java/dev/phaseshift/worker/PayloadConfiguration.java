package dev.phaseshift.worker;

import dev.phaseshift.workflow.PlanPayloadConverter;
import io.temporal.common.converter.DataConverter;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The worker's data converter. The Temporal starter builds its client with the one
 * {@link DataConverter} bean; this one reads a plan started from the Web UI or the {@code temporal}
 * CLI strictly and reports what is wrong by field name, never by value.
 */
@Configuration(proxyBeanMethods = false)
public class PayloadConfiguration {
  @Bean
  public DataConverter mainDataConverter() {
    return PlanPayloadConverter.dataConverter();
  }
}
