package dev.phaseshift.model;

/**
 * One running migration as a fleet's status poll read it.
 *
 * @param workflowId   the migration's workflow id
 * @param closed       whether its workflow has ended
 * @param succeeded    when closed: whether it completed (a rollback, abort or failure does not)
 * @param phase        its phase, from its status or its search attribute
 * @param lagBytes     its lag at its last measurement, or null
 * @param freezeMillis its switchover's write freeze, or null
 * @param waitingFor   what it waits for, or null
 * @param error        why it failed, or null
 */
public record ChildProgress(String workflowId, boolean closed, boolean succeeded, Phase phase, Long lagBytes,
    Long freezeMillis, String waitingFor, String error) {}
