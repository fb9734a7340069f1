package dev.phaseshift.model;

import java.util.List;

/**
 * The verification window as status and report show it.
 *
 * @param state          watching, passed, failed (rolled back), failed (notified), ended early
 * @param endsAt         when the window ends (ISO-8601)
 * @param samples        samples judged so far
 * @param failedSamples  samples that broke a condition
 * @param consecutiveFailures failed samples in a row, up to the last one
 * @param signals        the last sample's signals, one line each, against the baseline
 * @param failures       why the last failed sample failed
 * @param warnings       what the last sample noticed without failing (e.g. stale clients with staleClients: warn)
 */
public record VerificationStatus(
    String state,
    String endsAt,
    int samples,
    int failedSamples,
    int consecutiveFailures,
    VerificationBaseline baseline,
    List<String> signals,
    List<String> failures,
    List<String> warnings) {}
