package dev.phaseshift.model;

import java.util.List;

/**
 * What the assessment measured beyond the catalog: the source's workload over a sample, its
 * growth, its clients, the downtime forecast and the maintenance window that fits it. Bounded,
 * since the workflow keeps it in its history: at most {@link #TABLES_LISTED} tables (the busiest),
 * {@link #STATEMENTS_LISTED} statements and {@link #CLIENTS_LISTED} client groups.
 *
 * @param sampleMillis        how long the statistics were watched (0: sizes only)
 * @param sampledAt           when the sample ended (ISO-8601)
 * @param tables              the busiest tables, by rows changed then rows read
 * @param tablesOmitted       tables sampled but not listed
 * @param statements          the top statements by total time; null when the server keeps no
 *                            statement statistics
 * @param statementsNote      where the statements come from, or how to make them available
 * @param changeLogBytes      change log (write-ahead) volume the source produced during the sample
 * @param databaseBytes       the source database's size at the end of the sample
 * @param databaseGrowthBytes its growth during the sample
 * @param readBytesPerSecond  how fast the source delivered table data to a test read; the
 *                            basis of the copy estimate without a rehearsal
 * @param clients             the source's client groups now, with the target's verdict
 * @param windows             the plan's maintenance windows, described
 * @param nextFittingWindow   the next window with room for the forecast freeze (ISO-8601 start and
 *                            end), or why none is
 * @param warnings            what the approver should act on, each with its fix
 */
public record WorkloadReport(
    long sampleMillis,
    String sampledAt,
    List<TableWorkload> tables,
    int tablesOmitted,
    List<TopStatement> statements,
    String statementsNote,
    long changeLogBytes,
    long databaseBytes,
    long databaseGrowthBytes,
    long readBytesPerSecond,
    List<ClientProfile> clients,
    int clientsOmitted,
    DowntimeForecast forecast,
    List<String> windows,
    String nextFittingWindow,
    List<Finding> warnings) {

  public static final int TABLES_LISTED = 50;
  public static final int STATEMENTS_LISTED = 10;
  public static final int CLIENTS_LISTED = 30;

  /** Change log volume per minute, over the sample. */
  public long changeLogBytesPerMinute() {
    return sampleMillis <= 0 ? 0 : Math.round(changeLogBytes * 60_000.0 / sampleMillis);
  }

  /** Database growth per hour, extrapolated from the sample. */
  public long growthBytesPerHour() {
    return sampleMillis <= 0 ? 0 : Math.round(databaseGrowthBytes * 3_600_000.0 / sampleMillis);
  }

  /** The engine's measurements with the forecast, the windows and further warnings added. */
  public WorkloadReport withPlanning(DowntimeForecast forecast, List<String> windows, String nextFittingWindow,
      List<Finding> moreWarnings) {
    List<Finding> all = new java.util.ArrayList<>(warnings);
    all.addAll(moreWarnings);
    return new WorkloadReport(sampleMillis, sampledAt, tables, tablesOmitted, statements, statementsNote,
        changeLogBytes, databaseBytes, databaseGrowthBytes, readBytesPerSecond, clients, clientsOmitted, forecast,
        windows, nextFittingWindow, List.copyOf(all));
  }
}
