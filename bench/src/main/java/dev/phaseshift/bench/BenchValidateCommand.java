package dev.phaseshift.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.phaseshift.cli.PlanFiles;
import dev.phaseshift.engine.postgres.PostgresEngine;
import dev.phaseshift.model.ChunkDifference;
import dev.phaseshift.model.TableValidation;
import dev.phaseshift.model.ValidationResult;
import dev.phaseshift.plan.MigrationPlan;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code phaseshift bench-validate PLAN}: the TEST phase's validation, timed, in this process and
 * without Temporal. The target must be subscribed to the source under the plan's names (the
 * validator waits for it to apply up to the point it compares). Prints one JSON line; exits 1 when
 * the sides differ.
 */
@Command(name = "bench-validate", mixinStandardHelpOptions = true,
    description = "Times a validation (content of every table compared at one point) without Temporal.")
public final class BenchValidateCommand implements Callable<Integer> {
  @Parameters(paramLabel = "PLAN", description = "plan file (YAML or JSON)")
  Path file;

  @Override
  public Integer call() throws Exception {
    MigrationPlan plan = PlanFiles.loadWithDefaults(file);
    long started = System.nanoTime();
    ValidationResult result = new PostgresEngine().validator().validate(plan);
    long wall = (System.nanoTime() - started) / 1_000_000;
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("millis", result.millis());
    out.put("wallMillis", wall);
    out.put("sessionsPerSide", plan.copyParallelism());
    out.put("passed", result.passed());
    out.put("mismatches", result.mismatches());
    out.put("rowsChanging", result.rowsChanging());
    out.put("tablesChanging", result.tablesChanging());
    List<Map<String, Object>> tables = new ArrayList<>();
    for (TableValidation t : result.tables()) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("table", t.table());
      row.put("sourceRows", t.sourceRows());
      row.put("targetRows", t.targetRows());
      row.put("chunks", t.chunks());
      row.put("match", t.match());
      if (t.differences() != null && !t.differences().isEmpty()) {
        row.put("differences", t.differences().stream().map(ChunkDifference::range).toList());
      }
      tables.add(row);
    }
    out.put("tables", tables);
    if (!result.schemaDifferences().isEmpty()) out.put("schemaDifferences", result.schemaDifferences());
    System.out.println(new ObjectMapper().writeValueAsString(out));
    return result.passed() ? 0 : 1;
  }
}
