package dev.phaseshift.worker;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** The Phaseshift worker: runs migration workflows and their activities for a Temporal namespace. */
@SpringBootApplication
public class PhaseshiftWorkerApplication {
  public static void main(String[] args) {
    SpringApplication.run(PhaseshiftWorkerApplication.class, args);
  }
}
