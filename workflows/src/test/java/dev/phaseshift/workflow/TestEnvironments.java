package dev.phaseshift.workflow;

import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.testing.TestWorkflowEnvironment;

/** Temporal's time-skipping test server with the migration's search attributes registered, as a real server has them. */
final class TestEnvironments {
  private TestEnvironments() {}

  static TestWorkflowEnvironment withSearchAttributes() {
    TestWorkflowEnvironment env = TestWorkflowEnvironment.newInstance();
    for (String name : MigrationSearchAttributes.NAMES) {
      env.registerSearchAttribute(name, IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
    }
    return env;
  }
}
