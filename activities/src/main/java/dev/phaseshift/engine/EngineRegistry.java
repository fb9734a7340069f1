package dev.phaseshift.engine;

import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.FailureTypes;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Finds the engine for a plan by its endpoints' engine id. */
public final class EngineRegistry {
  private final Map<String, Engine> engines;

  public EngineRegistry(List<Engine> engines) {
    this.engines = engines.stream().collect(Collectors.toMap(Engine::id, Function.identity()));
  }

  public Engine forPlan(MigrationPlan plan) {
    String source = plan.source().engine();
    String target = plan.target().engine();
    if (source == null || !source.equals(target)) {
      throw new MigrationException(FailureTypes.INVALID_PLAN,
          "source and target use different engines (" + source + ", " + target
              + "); Phaseshift migrates between servers of the same engine");
    }
    Engine engine = engines.get(source);
    if (engine == null) {
      throw new MigrationException(FailureTypes.INVALID_PLAN,
          "no engine for '" + source + "'; this worker supports " + engines.keySet());
    }
    return engine;
  }
}
