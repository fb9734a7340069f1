package dev.phaseshift.model;

/**
 * The change stream's anchor on the source: the replication slot, the publication, and the
 * snapshot exported when the slot was created. Rows copied under that snapshot plus changes
 * streamed from the slot give every row exactly once.
 *
 * @param snapshotName  exported snapshot; any session can import it while the worker that
 *                      created it holds it
 * @param consistentLsn the slot's starting point
 * @param copyTaskQueue the task queue of the worker holding the snapshot, where runs started
 *                      before shared copies send their copies
 */
public record ChangeCapture(
    String slotName,
    String publicationName,
    String snapshotName,
    String consistentLsn,
    String copyTaskQueue) {}
