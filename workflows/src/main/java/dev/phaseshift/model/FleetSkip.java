package dev.phaseshift.model;

/** Takes one database out of a fleet: {"database": "shop-eu", "by": "alice", "comment": "why"}. */
public record FleetSkip(String database, String by, String comment) {}
