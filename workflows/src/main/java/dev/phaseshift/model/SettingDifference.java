package dev.phaseshift.model;

/** A setting that shapes plans, memory, parallelism or autovacuum and differs between the two servers. */
public record SettingDifference(String name, String source, String target, String why) {}
