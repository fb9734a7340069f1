package dev.phaseshift.model;

/**
 * The change stream's anchor on the source: the stream the engine records changes into and the
 * snapshot taken where the stream starts. Rows copied under that snapshot plus the changes
 * streamed from {@code start} give every row exactly once.
 *
 * @param stream   the name the engine derives its objects on the source from
 * @param snapshot the snapshot the copies read under; any worker can use it while the worker that
 *                 took it holds it
 * @param start    the stream's first position, the snapshot's point in time
 */
public record ChangeCapture(String stream, String snapshot, Position start) {}
