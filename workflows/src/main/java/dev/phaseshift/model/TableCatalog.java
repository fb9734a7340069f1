package dev.phaseshift.model;

import java.util.ArrayList;
import java.util.List;

/**
 * Every selected table of a large schema, column by column: about 30 bytes of JSON a table
 * instead of 130 as a list of {@link TableInfo}, so the assessment of 10,000 tables stays far
 * below Temporal's payload limit (2 MB) in the activity result and in the report.
 *
 * @param schemas  the distinct schemas, each named once
 * @param schemaOf per table, its schema's index in {@code schemas}
 * @param traits   per table three characters: {@code P} or {@code -} (primary key), the replica
 *                 identity's initial ({@code d}efault, {@code f}ull, {@code i}ndex, {@code n}othing),
 *                 {@code U} or {@code -} (unlogged)
 */
public record TableCatalog(
    List<String> schemas,
    List<Integer> schemaOf,
    List<String> names,
    List<Long> bytes,
    List<Long> estimatedRows,
    List<String> traits) {

  public static TableCatalog of(List<TableInfo> tables) {
    List<String> schemas = new ArrayList<>();
    List<Integer> schemaOf = new ArrayList<>(tables.size());
    List<String> names = new ArrayList<>(tables.size());
    List<Long> bytes = new ArrayList<>(tables.size());
    List<Long> rows = new ArrayList<>(tables.size());
    List<String> traits = new ArrayList<>(tables.size());
    for (TableInfo t : tables) {
      int schema = schemas.indexOf(t.schema());
      if (schema < 0) {
        schema = schemas.size();
        schemas.add(t.schema());
      }
      schemaOf.add(schema);
      names.add(t.name());
      bytes.add(t.bytes());
      rows.add(t.estimatedRows());
      traits.add((t.hasPrimaryKey() ? "P" : "-") + identityInitial(t.replicaIdentity()) + (t.unlogged() ? "U" : "-"));
    }
    return new TableCatalog(schemas, schemaOf, names, bytes, rows, traits);
  }

  public int count() {
    return names.size();
  }

  /** The tables as {@link TableInfo}, in catalog order. */
  public List<TableInfo> expand() {
    List<TableInfo> tables = new ArrayList<>(names.size());
    for (int i = 0; i < names.size(); i++) {
      String trait = traits.get(i);
      tables.add(new TableInfo(schemas.get(schemaOf.get(i)), names.get(i), bytes.get(i), estimatedRows.get(i),
          trait.charAt(0) == 'P', identity(trait.charAt(1)), trait.charAt(2) == 'U'));
    }
    return tables;
  }

  private static char identityInitial(String replicaIdentity) {
    return replicaIdentity == null || replicaIdentity.isEmpty() ? 'd' : replicaIdentity.charAt(0);
  }

  private static String identity(char initial) {
    return switch (initial) {
      case 'f' -> "full";
      case 'i' -> "index";
      case 'n' -> "nothing";
      default -> "default";
    };
  }
}
