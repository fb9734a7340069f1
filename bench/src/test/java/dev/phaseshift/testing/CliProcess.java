package dev.phaseshift.testing;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code phaseshift ARGS --address A > out 2> err} in a JVM of its own, as the launcher does,
 * and returns what a shell would see.
 */
public final class CliProcess {
  private CliProcess() {}

  public record Result(int code, String out, String err) {
    public String all() {
      return "exit " + code + "\nstdout:\n" + out + "\nstderr:\n" + err;
    }
  }

  public static Result run(String temporalAddress, Path dir, int timeoutSeconds, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "dev.phaseshift.cli.PhaseshiftCli"));
    command.addAll(List.of(args));
    command.addAll(List.of("--address", temporalAddress));
    File out = Files.createTempFile(dir, "out-", ".txt").toFile();
    File err = Files.createTempFile(dir, "err-", ".txt").toFile();
    Process process = new ProcessBuilder(command).redirectOutput(out).redirectError(err).start();
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("phaseshift " + String.join(" ", args) + " did not end within " + timeoutSeconds + " s");
    }
    return new Result(process.exitValue(), Files.readString(out.toPath(), StandardCharsets.UTF_8),
        Files.readString(err.toPath(), StandardCharsets.UTF_8));
  }
}
