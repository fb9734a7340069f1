package dev.phaseshift.model;

import java.util.List;

/** What the assessment learned about one server. */
public record ServerInfo(
    String version,
    int versionNumber,
    String walLevel,
    int freeReplicationSlots,
    int freeWalSenders,
    long databaseBytes,
    List<String> extensions,
    long largeObjects) {}
