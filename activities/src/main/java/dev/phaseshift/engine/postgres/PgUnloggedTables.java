package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.ObjectCheck;
import dev.phaseshift.model.TableInfo;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyOut;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Unlogged tables: the schema copy creates them unlogged and the bulk copy fills them, but they
 * write no WAL, so no stream can keep them current. Inside the switchover's freeze (the freeze
 * locks them like every migrated table, and the frozen side takes no new sessions) each is copied
 * again in full, replacing the receiving side's rows in one transaction, and then compared. The
 * copy costs freeze time in proportion to their size; the assessment says how much and refuses
 * tables too large for the plan's maxFreeze.
 */
final class PgUnloggedTables {
  private static final Logger log = LoggerFactory.getLogger(PgUnloggedTables.class);
  static final String KIND = "unlogged table";
  /** Rows gathered per message to the receiving side. */
  private static final int BATCH_BYTES = 1 << 20;
  /**
   * A conservative rate for a full copy inside the freeze (a COPY out, a COPY in and a checksum of
   * both sides), for the assessment's estimate; loopback copies run several times faster.
   */
  static final long ESTIMATE_BYTES_PER_SECOND = 20L * 1024 * 1024;

  private PgUnloggedTables() {}

  static List<TableInfo> of(List<TableInfo> tables) {
    return tables.stream().filter(TableInfo::unlogged).toList();
  }

  /** Replaces each table's rows on {@code to} with those on {@code from}; returns the bytes streamed. */
  static long copy(PgSession from, PgSession to, List<TableInfo> tables) {
    long started = System.nanoTime();
    long bytes = 0;
    for (TableInfo table : tables) {
      String name = PgInventory.quoted(table);
      String columns = from.call("reading the columns of " + table.qualifiedName(), c -> columns(c, name));
      bytes += to.inTransaction("copying " + table.qualifiedName(), c -> {
        Sql.exec(c, "TRUNCATE " + name);
        return stream(from.connection(), c, name, columns);
      });
    }
    log.info("copied {} unlogged table(s) {} -> {}: {} bytes in {} ms", tables.size(), from.endpoint(),
        to.endpoint(), bytes, (System.nanoTime() - started) / 1_000_000);
    return bytes;
  }

  /** Row count and checksum of each table on both sides. */
  static List<ObjectCheck> compare(PgSession source, PgSession target, List<TableInfo> tables, String note) {
    List<ObjectCheck> checks = new ArrayList<>();
    for (TableInfo table : tables) {
      String src = source.call("reading " + table.qualifiedName(), c -> describe(c, table));
      String tgt = target.call("reading " + table.qualifiedName(), c -> describe(c, table));
      checks.add(new ObjectCheck(KIND, table.qualifiedName(), src, tgt, src.equals(tgt), note));
    }
    return checks;
  }

  static String describe(Connection c, TableInfo table) throws SQLException {
    String name = PgInventory.quoted(table);
    Boolean exists = Sql.one(c, "SELECT to_regclass(?) IS NOT NULL", rs -> rs.getBoolean(1), name);
    if (!Boolean.TRUE.equals(exists)) return "missing";
    return Sql.one(c, "SELECT count(*) || ' rows, checksum ' || coalesce(md5(string_agg(h, '' ORDER BY h)), md5(''))"
        + " FROM (SELECT md5(t::text) h FROM " + name + " t) rows", rs -> rs.getString(1));
  }

  /** The columns COPY can write: generated columns are computed by the receiving side. */
  private static String columns(Connection c, String table) throws SQLException {
    return Sql.one(c, "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute"
        + " WHERE attrelid = ?::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''",
        rs -> rs.getString(1), table);
  }

  private static long stream(Connection source, Connection target, String table, String columns)
      throws SQLException {
    CopyOut reader = source.unwrap(PGConnection.class).getCopyAPI()
        .copyOut("COPY " + table + " (" + columns + ") TO STDOUT");
    CopyIn writer = target.unwrap(PGConnection.class).getCopyAPI()
        .copyIn("COPY " + table + " (" + columns + ") FROM STDIN");
    try {
      byte[] batch = new byte[BATCH_BYTES];
      int filled = 0;
      long total = 0;
      byte[] buf;
      while ((buf = reader.readFromCopy()) != null) {
        if (filled + buf.length > batch.length) {
          writer.writeToCopy(batch, 0, filled);
          total += filled;
          filled = 0;
        }
        if (buf.length > batch.length) {
          writer.writeToCopy(buf, 0, buf.length);
          total += buf.length;
        } else {
          System.arraycopy(buf, 0, batch, filled, buf.length);
          filled += buf.length;
        }
      }
      if (filled > 0) writer.writeToCopy(batch, 0, filled);
      total += filled;
      writer.endCopy();
      return total;
    } finally {
      if (reader.isActive()) reader.cancelCopy();
      if (writer.isActive()) writer.cancelCopy();
    }
  }
}
