package dev.phaseshift.engine.postgres;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The rows that changed on the source after a given commit position, read from the migration's
 * own replication slot without consuming it. Validation compares a source snapshot against the
 * target stopped at a known position; the rows written between the two are exactly the ones the
 * slot still holds past that position, so they are left out of that round (and compared again in
 * the next) instead of locking writers out to make both sides stand still.
 *
 * <p>Reads the pgoutput protocol (version 1) through {@code pg_logical_slot_peek_binary_changes},
 * which needs the slot inactive: the caller has paused the subscription. Key values come back in
 * their text form, rendered with this session's settings, so the comparing sessions must use the
 * same ones ({@link PgChunkChecksums#TEXT_SETTINGS}).
 */
final class PgChangedKeys {
  /** Beyond this many changed keys a table counts as changed as a whole for the round. */
  static final int KEYS_PER_TABLE = 50_000;

  /**
   * @param keys   per table ({@code schema.name}), the replica-identity values of changed rows, each
   *               a list of the key columns' text (null for SQL NULL)
   * @param tables tables changed as a whole: truncated, without a usable key, or over the bound
   */
  record Changes(Map<String, Set<List<String>>> keys, Set<String> tables, long transactions) {
    boolean changed(String table) {
      return tables.contains(table) || keys.containsKey(table);
    }

    int keyCount() {
      return keys.values().stream().mapToInt(Set::size).sum();
    }
  }

  private PgChangedKeys() {}

  /**
   * Changes of transactions that commit after {@code appliedEnd} (the end position of the last
   * transaction the target applied) and up to {@code upTo}.
   */
  static Changes after(Connection source, String slot, String publication, long appliedEnd, String upTo)
      throws SQLException {
    Decoder decoder = new Decoder(appliedEnd);
    // Decoding stops at the flushed position; with asynchronous commit the last commits may not be there yet.
    PgInventory.flushWal(source);
    boolean autoCommit = source.getAutoCommit();
    // A cursor, so a long window streams instead of arriving as one result in memory.
    source.setAutoCommit(false);
    try (PreparedStatement ps = source.prepareStatement("SELECT data FROM pg_logical_slot_peek_binary_changes("
        + "?, ?::pg_lsn, NULL, 'proto_version', '1', 'publication_names', ?)")) {
      ps.setFetchSize(1000);
      ps.setString(1, slot);
      ps.setString(2, upTo);
      ps.setString(3, publication);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) decoder.message(ByteBuffer.wrap(rs.getBytes(1)));
      }
    } finally {
      source.commit();
      source.setAutoCommit(autoCommit);
    }
    return decoder.result();
  }

  /** Turns pgoutput messages into changed keys; keeps each transaction's keys until its commit. */
  static final class Decoder {
    /** Marks a value the message left out (compared by identity: no text value is this object). */
    private static final String UNCHANGED = new String("unchanged TOASTed value");
    private final long appliedEnd;
    private final Map<Integer, Relation> relations = new HashMap<>();
    private final Map<String, Set<List<String>>> keys = new LinkedHashMap<>();
    private final Set<String> tables = new LinkedHashSet<>();
    private final Map<String, Set<List<String>>> pendingKeys = new LinkedHashMap<>();
    private final Set<String> pendingTables = new LinkedHashSet<>();
    private long transactions;

    Decoder(long appliedEnd) {
      this.appliedEnd = appliedEnd;
    }

    /** Which columns of a relation make up its replica identity, by position. */
    private record Relation(String table, int[] keyColumns) {}

    void message(ByteBuffer m) {
      char type = (char) m.get();
      switch (type) {
        case 'B' -> {
          pendingKeys.clear();
          pendingTables.clear();
        }
        case 'R' -> relation(m);
        case 'I' -> {
          Relation r = relations.get(m.getInt());
          m.get(); // 'N': the new row
          changed(r, tuple(m));
        }
        case 'U' -> {
          Relation r = relations.get(m.getInt());
          char kind = (char) m.get();
          if (kind == 'K' || kind == 'O') {
            // The old key, sent when the update changed it: the row left that key.
            changed(r, tuple(m));
            m.get();
          }
          changed(r, tuple(m));
        }
        case 'D' -> {
          Relation r = relations.get(m.getInt());
          m.get(); // 'K' or 'O'
          changed(r, tuple(m));
        }
        case 'T' -> {
          int count = m.getInt();
          m.get(); // options
          for (int i = 0; i < count; i++) {
            Relation r = relations.get(m.getInt());
            if (r != null) pendingTables.add(r.table());
          }
        }
        case 'C' -> commit(m);
        default -> {
          // Origin, type and logical messages say nothing about which rows changed.
        }
      }
    }

    private void relation(ByteBuffer m) {
      int id = m.getInt();
      String schema = string(m);
      String name = string(m);
      m.get(); // replica identity setting
      int columns = m.getShort();
      List<Integer> key = new ArrayList<>();
      for (int i = 0; i < columns; i++) {
        boolean isKey = (m.get() & 1) != 0;
        string(m);
        m.getInt(); // type oid
        m.getInt(); // type modifier
        if (isKey) key.add(i);
      }
      relations.put(id, new Relation(schema + "." + name, key.stream().mapToInt(Integer::intValue).toArray()));
    }

    private void changed(Relation r, List<String> row) {
      if (r == null) return;
      // REPLICA IDENTITY NOTHING flags no column: the row cannot be named, so the table is.
      if (r.keyColumns().length == 0) {
        pendingTables.add(r.table());
        return;
      }
      List<String> key = new ArrayList<>(r.keyColumns().length);
      for (int column : r.keyColumns()) {
        String value = column < row.size() ? row.get(column) : null;
        // An unchanged TOASTed value is not sent: a key holding one (REPLICA IDENTITY FULL makes
        // every column part of the key) does not name the row, so the table is named instead.
        if (value == UNCHANGED) {
          pendingTables.add(r.table());
          return;
        }
        key.add(value);
      }
      pendingKeys.computeIfAbsent(r.table(), t -> new LinkedHashSet<>()).add(key);
    }

    private void commit(ByteBuffer m) {
      m.get(); // flags
      m.getLong(); // commit position
      long end = m.getLong();
      if (Long.compareUnsigned(end, appliedEnd) > 0) {
        transactions++;
        tables.addAll(pendingTables);
        pendingKeys.forEach((table, changed) -> {
          if (tables.contains(table)) return;
          Set<List<String>> all = keys.computeIfAbsent(table, t -> new LinkedHashSet<>());
          all.addAll(changed);
          if (all.size() > KEYS_PER_TABLE) {
            keys.remove(table);
            tables.add(table);
          }
        });
      }
      pendingKeys.clear();
      pendingTables.clear();
    }

    Changes result() {
      keys.keySet().removeAll(tables);
      return new Changes(keys, tables, transactions);
    }

    private static List<String> tuple(ByteBuffer m) {
      int columns = m.getShort();
      List<String> values = new ArrayList<>(columns);
      for (int i = 0; i < columns; i++) {
        char kind = (char) m.get();
        switch (kind) {
          case 't', 'b' -> {
            byte[] bytes = new byte[m.getInt()];
            m.get(bytes);
            values.add(new String(bytes, StandardCharsets.UTF_8));
          }
          case 'u' -> values.add(UNCHANGED);
          // 'n' is NULL.
          default -> values.add(null);
        }
      }
      return values;
    }

    private static String string(ByteBuffer m) {
      int start = m.position();
      while (m.get() != 0) {
        // Finds the terminating zero byte.
      }
      byte[] bytes = new byte[m.position() - start - 1];
      m.get(start, bytes);
      return new String(bytes, StandardCharsets.UTF_8);
    }
  }
}
