package dev.phaseshift.model;

import java.util.List;

/**
 * How the source behaved just before the switchover, for the verification window to compare the
 * new primary with: rates between a reading taken when SWITCHOVER began and one right before the
 * freeze, and the source's top statements by total time.
 *
 * @param seconds               time between the two readings
 * @param rollbackShare         share of transactions rolled back (0 to 1)
 * @param failedSessionsPerMinute null where the server does not count them (before PostgreSQL 14)
 * @param clientBackends        client sessions at the second reading
 * @param topStatements         cumulative mean times on the source; empty without pg_stat_statements
 */
public record VerificationBaseline(
    double seconds,
    long transactions,
    double rollbackShare,
    double deadlocksPerMinute,
    Double failedSessionsPerMinute,
    int clientBackends,
    List<StatementTime> topStatements) {}
