package dev.phaseshift.activities;

import dev.phaseshift.model.Notification;

/** Placeholder until implemented. */
public final class Notifier {
  public void send(String url, Notification notification) {
    throw new IllegalStateException("placeholder");
  }
}
