package dev.phaseshift.worker;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The Prometheus text exposition, read line by line. */
record Scrape(List<String> samples) {
  static Scrape parse(String text) {
    List<String> samples = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (!line.isBlank() && !line.startsWith("#")) samples.add(line);
    }
    return new Scrape(samples);
  }

  Set<String> names() {
    Set<String> names = new LinkedHashSet<>();
    for (String s : samples) names.add(s.split("[{ ]", 2)[0]);
    return names;
  }

  /** Sum of the samples of {@code name} whose labels contain every one of {@code labels} ({@code k="v"}). */
  double sum(String name, String... labels) {
    double total = 0;
    boolean found = false;
    for (String s : samples) {
      if (!s.startsWith(name + "{") && !s.startsWith(name + " ")) continue;
      boolean all = true;
      for (String label : labels) all &= s.contains(label);
      if (!all) continue;
      found = true;
      total += Double.parseDouble(s.substring(s.lastIndexOf(' ') + 1));
    }
    if (!found) throw new AssertionError("no sample " + name + " with " + String.join(",", labels));
    return total;
  }

  boolean has(String name, String... labels) {
    try {
      sum(name, labels);
      return true;
    } catch (AssertionError missing) {
      return false;
    }
  }
}
