package dev.phaseshift.model;

/** A group of client sessions on the source, as the operator will want to know who to move. */
public record ClientConnection(String applicationName, String clientAddress, String user, int sessions) {}
