package dev.phaseshift.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import picocli.CommandLine.Option;

/** {@code --output text|json}, shared by every command that reads something. */
public final class Output {
  public enum Format { text, json }

  static final ObjectMapper JSON = new ObjectMapper()
      .registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .enable(SerializationFeature.INDENT_OUTPUT);

  @Option(names = {"-o", "--output"}, defaultValue = "text",
      description = "text or json (default ${DEFAULT-VALUE}); json is stable for scripts")
  Format format;

  public boolean json() {
    return format == Format.json;
  }

  static String toJson(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot write JSON: " + e.getOriginalMessage(), e);
    }
  }
}
