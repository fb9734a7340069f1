package dev.phaseshift.testing;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the {@code phaseshift} CLI in a JVM of its own, as the launcher does, and keeps what it printed. */
public final class PhaseshiftProcess {
  private PhaseshiftProcess() {}

  /** What a run printed, and its exit code as a shell sees it. */
  public record Run(int code, String out, String err) {
    public String all() {
      return "exit " + code + "\nstdout:\n" + out + "\nstderr:\n" + err;
    }
  }

  /** {@code phaseshift ARGS > out 2> err}, the output files in {@code dir}; {@code address} null for commands that need no server. */
  public static Run run(Path dir, String address, String... args) throws Exception {
    return run(dir, address, 90, args);
  }

  /** As {@link #run(Path, String, String...)}, for commands that may take longer (a workload sample). */
  public static Run run(Path dir, String address, int timeoutSeconds, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "dev.phaseshift.cli.PhaseshiftCli"));
    command.addAll(List.of(args));
    if (address != null) command.addAll(List.of("--address", address));
    File out = Files.createTempFile(dir, "out-", ".txt").toFile();
    File err = Files.createTempFile(dir, "err-", ".txt").toFile();
    Process process = new ProcessBuilder(command).redirectOutput(out).redirectError(err).start();
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("phaseshift " + String.join(" ", args) + " did not end within " + timeoutSeconds + " s");
    }
    return new Run(process.exitValue(), Files.readString(out.toPath(), StandardCharsets.UTF_8),
        Files.readString(err.toPath(), StandardCharsets.UTF_8));
  }
}
