package dev.phaseshift.model;

/** Keeps the old database longer: {@code extendBy} is a duration such as {@code 24h}. */
public record RetentionExtension(String by, String extendBy, String comment) {}
