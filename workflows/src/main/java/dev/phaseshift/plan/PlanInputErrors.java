package dev.phaseshift.plan;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.util.Collection;
import java.util.Map;

/**
 * Says what is wrong with a plan that does not parse, naming the field and never its value.
 * Jackson's own messages quote the offending input, and a password written inline is exactly
 * such an input; so these messages are built from the path and the expected type alone. Used by
 * the CLI for plan files and by the worker for workflow inputs.
 */
public final class PlanInputErrors {
  public static final String INLINE_SECRET = "write {env: NAME} or {file: PATH}, never the password itself"
      + " (the plan is stored in workflow history)";

  private PlanInputErrors() {}

  public static String describe(JsonProcessingException e) {
    if (e instanceof UnrecognizedPropertyException u) {
      return "unknown field '" + fieldName(u.getPropertyName()) + "' at " + path(u)
          + "; known fields there: " + knownFields(u.getKnownPropertyIds());
    }
    if (e instanceof MismatchedInputException m) {
      if (m.getTargetType() == SecretRef.class) return path(m) + ": " + INLINE_SECRET;
      if (m.getPath().isEmpty()) return "the input must be one plan: an object with name, source, target and so on";
      return path(m) + ": expected " + expected(m.getTargetType());
    }
    if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) return path(m) + ": cannot be read";
    String where = e.getLocation() == null ? ""
        : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
    return "the plan is not well-formed JSON or YAML" + where;
  }

  /** The field's place in the plan, e.g. {@code source.password} or {@code maintenanceWindows[0].cron}. */
  public static String path(JsonMappingException e) {
    StringBuilder s = new StringBuilder();
    for (JsonMappingException.Reference ref : e.getPath()) {
      if (ref.getFieldName() != null) {
        s.append(s.length() == 0 ? "" : ".").append(fieldName(ref.getFieldName()));
      } else if (ref.getIndex() >= 0) {
        s.append('[').append(ref.getIndex()).append(']');
      }
    }
    return s.length() == 0 ? "top level" : s.toString();
  }

  private static String expected(Class<?> type) {
    if (type == null) return "another kind of value";
    if (type == String.class) return "text";
    if (Number.class.isAssignableFrom(type) || type == int.class || type == long.class) return "a number";
    if (type == Boolean.class || type == boolean.class) return "true or false";
    if (Collection.class.isAssignableFrom(type) || type.isArray()) return "a list";
    if (type.isRecord() || Map.class.isAssignableFrom(type)) return "an object with its own fields";
    return "another kind of value";
  }

  /** A misspelt key is still a name, but one a user typed: keep it short and printable. */
  private static String fieldName(String name) {
    String printable = name == null ? "" : name.replaceAll("[^A-Za-z0-9_.$-]", "?");
    return printable.length() > 40 ? printable.substring(0, 40) + "..." : printable;
  }

  private static String knownFields(Collection<Object> known) {
    return known == null ? "none" : String.join(", ", known.stream().map(String::valueOf).sorted().toList());
  }
}
