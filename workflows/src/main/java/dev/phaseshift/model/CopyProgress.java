package dev.phaseshift.model;

/** Heartbeat of a table copy: how far it got, so a retry resumes there and operators see it. */
public record CopyProgress(
    String table, int chunksDone, int chunksTotal, long rowsCopied, long bytesCopied) {}
