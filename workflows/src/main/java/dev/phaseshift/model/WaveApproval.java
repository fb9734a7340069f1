package dev.phaseshift.model;

/** Signs off every switchover of one wave: {"wave": 1, "approver": "alice", "comment": "go"}. */
public record WaveApproval(Integer wave, String approver, String comment) {}
