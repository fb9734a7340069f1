package dev.phaseshift.plan;

import com.fasterxml.jackson.annotation.JsonIgnore;

/**
 * A database the migration reads from or writes to.
 *
 * @param url      JDBC URL, e.g. {@code jdbc:postgresql://db1.internal:5432/shop}
 * @param user     login role
 * @param password where the password lives; {@code null} when the server needs none (trust, .pgpass)
 */
public record Endpoint(String url, String user, SecretRef password) {

  /**
   * The engine id is the JDBC sub-protocol ({@code postgresql} for {@code jdbc:postgresql:}), so
   * workflows route to an engine without naming one.
   */
  @JsonIgnore
  public String engine() {
    if (url == null || !url.startsWith("jdbc:")) return null;
    int colon = url.indexOf(':', 5);
    return colon < 0 ? null : url.substring(5, colon);
  }

  /** Host and port part of the URL, for display and search attributes; never includes credentials. */
  @JsonIgnore
  public String hostAndDatabase() {
    if (url == null) return "";
    int start = url.indexOf("//");
    String rest = start < 0 ? url : url.substring(start + 2);
    int query = rest.indexOf('?');
    return query < 0 ? rest : rest.substring(0, query);
  }
}
