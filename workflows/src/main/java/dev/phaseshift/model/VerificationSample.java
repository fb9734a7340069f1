package dev.phaseshift.model;

import java.util.List;

/**
 * What the verification window saw between two readings.
 *
 * @param reading            the readings this sample ends with; the next sample starts from them
 * @param seconds            the sample's length; 0 for the window's first reading, which judges nothing
 * @param transactions       transactions the new primary committed or rolled back in the sample
 * @param rollbackShare      share of them rolled back
 * @param failedSessionsPerMinute sessions ended by errors on the new primary; null before PostgreSQL 14.
 *                           Failed logins are not in the statistics views at all (only in the server log
 *                           with log_connections), so they are not a signal here
 * @param statements         the source's top statements as the new primary ran them in the sample
 * @param reverseStreamActive whether the stream that keeps the old database current runs; null without one
 * @param reverseLagBytes    how far the old database is behind; null without a reverse stream
 * @param staleClients       client sessions on the old database other than Phaseshift's (application, user,
 *                           address), at most ten
 * @param staleClientCount   how many there are in all
 * @param oldDatabaseWriters stale client sessions holding a transaction id when sampled: writing to the
 *                           old database although its freeze makes new sessions read-only (they turned
 *                           it off for themselves). Row counters cannot tell: the reverse stream writes
 *                           there too, and catches up on its own schedule
 * @param oldDatabaseRollbacks transactions rolled back on the old database in the sample: mostly writes its
 *                           freeze refused. A session flushes these with its other statistics, so one
 *                           whose every write is refused may show only when it disconnects
 */
public record VerificationSample(
    VerificationReading reading,
    double seconds,
    long transactions,
    double rollbackShare,
    double deadlocksPerMinute,
    Double failedSessionsPerMinute,
    int clientBackends,
    List<StatementLatency> statements,
    Boolean reverseStreamActive,
    Long reverseLagBytes,
    List<String> staleClients,
    int staleClientCount,
    int oldDatabaseWriters,
    long oldDatabaseRollbacks) {}
