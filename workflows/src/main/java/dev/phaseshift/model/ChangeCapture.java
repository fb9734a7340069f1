package dev.phaseshift.model;

/**
 * The change stream's anchor on the source: the replication slot, the publication, and the
 * snapshot exported when the slot was created. Rows copied under that snapshot plus changes
 * streamed from the slot give every row exactly once.
 *
 * @param snapshotName  exported snapshot; valid only while the worker that created it holds it
 * @param consistentLsn the slot's starting point
 * @param copyTaskQueue the task queue of the worker holding the snapshot; copies must run there
 */
public record ChangeCapture(
    String slotName,
    String publicationName,
    String snapshotName,
    String consistentLsn,
    String copyTaskQueue) {}
