package dev.phaseshift.plan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Finds secrets written into a workflow input: a value where a {@link SecretRef} belongs, any other
 * field named like a password, {@code password=} or {@code user:secret@} in a URL. Temporal keeps a
 * run's input in its history as sent, so such a run is failed and its history deleted (see the
 * README); what survives is a stand-in input that holds the field names only, and the message
 * for it is rebuilt from those names. Names, never values, leave this class.
 */
public final class InlineSecrets {
  /** The stand-in input's only key: a list of the field names that held a secret. */
  public static final String STAND_IN_KEY = "inputHeldSecretAt";
  public static final String DELETED = "The earlier run was deleted because its input held a secret;"
      + " reference it with password.env or password.file.";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> REFERENCE_KEYS = Set.of("env", "file");
  private static final Pattern QUERY_PASSWORD = Pattern.compile("(?i)password\\s*=");
  private static final Pattern USER_INFO = Pattern.compile("://[^/?#@\\s]*:[^/?#@\\s]*@");
  /** Fields the message names; the stand-in keeps up to {@link #KEPT}, so its message counts the rest alike. */
  private static final int NAMED = 10;
  private static final int KEPT = 100;

  private InlineSecrets() {}

  /** The fields of this input that hold a secret, in input order; empty when there are none. */
  public static List<String> fields(JsonNode input) {
    List<String> found = new ArrayList<>();
    walk(input, "", found);
    return found;
  }

  /** The fields of a raw JSON input that hold a secret; input that is not JSON counts as a whole. */
  public static List<String> fields(byte[] raw) {
    try {
      return fields(JSON.readTree(raw));
    } catch (java.io.IOException e) {
      return mentionsPassword(raw) ? List.of("top level") : List.of();
    }
  }

  /** For input that is not even JSON: whether it mentions a password anywhere. */
  public static boolean mentionsPassword(byte[] raw) {
    String text = new String(raw, StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
    return text.contains("passw") || USER_INFO.matcher(text).find();
  }

  /** The field names of a stand-in input, or null when the input is not one. */
  public static List<String> standInFields(JsonNode input) {
    if (input == null || !input.isObject() || input.size() != 1 || !input.path(STAND_IN_KEY).isArray()) return null;
    List<String> names = new ArrayList<>();
    input.get(STAND_IN_KEY).forEach(n -> names.add(printable(n.asText())));
    return names;
  }

  /** The stand-in that replaces an input holding secrets at these fields: their names and nothing else. */
  public static byte[] standIn(List<String> fields) {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode names = root.putArray(STAND_IN_KEY);
    fields.stream().limit(KEPT).map(InlineSecrets::printable).forEach(names::add);
    return root.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The one message a run fails with, built from the field names alone (so a stand-in gives the same). */
  public static String message(List<String> fields) {
    List<String> each = new ArrayList<>();
    for (String field : fields.stream().limit(NAMED).toList()) {
      boolean url = field.toLowerCase(Locale.ROOT).endsWith("url");
      each.add(field + (url
          ? ": contains a password, which would be stored in workflow history; remove it and set the endpoint's"
              + " password.env or password.file"
          : ": " + PlanInputErrors.INLINE_SECRET));
    }
    String more = fields.size() > NAMED ? "; and " + (fields.size() - NAMED) + " more" : "";
    return "the input holds a password; nothing was changed: " + String.join("; ", each) + more;
  }

  private static void walk(JsonNode node, String path, List<String> found) {
    if (node == null) return;
    if (node.isTextual()) {
      String text = node.asText();
      if (QUERY_PASSWORD.matcher(text).find() || USER_INFO.matcher(text).find()) found.add(name(path));
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) walk(node.get(i), path + "[" + i + "]", found);
    } else if (node.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        String child = path.isEmpty() ? printable(field.getKey()) : path + "." + printable(field.getKey());
        if (passwordNamed(field.getKey())) {
          if (!isReference(field.getValue())) found.add(child);
        } else {
          walk(field.getValue(), child, found);
        }
      }
    }
  }

  private static boolean passwordNamed(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    // Misspellings too: a misspelt password field still holds the password.
    return k.contains("passw") || k.contains("pasw") || k.contains("pwd");
  }

  /** {env: NAME} or {file: PATH} (or nothing at all) is where a secret lives, not the secret. */
  private static boolean isReference(JsonNode value) {
    if (value == null || value.isNull() || (value.isTextual() && value.asText().isEmpty())) return true;
    if (!value.isObject()) return false;
    for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      if (!REFERENCE_KEYS.contains(f.getKey()) || !(f.getValue().isTextual() || f.getValue().isNull())) return false;
    }
    return true;
  }

  private static String name(String path) {
    return path.isEmpty() ? "top level" : path;
  }

  /** A key is a name a user typed: keep it short and printable, like the parse errors do. */
  private static String printable(String key) {
    String p = key == null ? "" : key.replaceAll("[^A-Za-z0-9_.\\[\\]$-]", "?");
    return p.length() > 60 ? p.substring(0, 60) + "..." : p;
  }
}
