package dev.phaseshift.model;

import java.util.List;

/**
 * One reading of a database's cumulative statistics ({@code pg_stat_database} and, where loaded,
 * {@code pg_stat_statements}); two readings give rates.
 *
 * @param atMillis       the server's clock when read
 * @param failedSessions sessions ended by a FATAL error or abandoned (PostgreSQL 14+); null before 14
 * @param clientBackends client sessions other than Phaseshift's own
 * @param statements     statements of interest (the source's top ones, or those of the baseline on the
 *                       target); empty when {@code pg_stat_statements} is not loaded
 * @param statementsVisible whether {@code pg_stat_statements} could be read
 */
public record DatabaseCounters(
    long atMillis,
    long commits,
    long rollbacks,
    long deadlocks,
    Long failedSessions,
    int clientBackends,
    List<StatementTime> statements,
    boolean statementsVisible) {}
