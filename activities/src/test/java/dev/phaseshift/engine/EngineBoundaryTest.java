package dev.phaseshift.engine;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The engine is what a second database would implement: it speaks its database and the model's
 * records, and knows nothing of how workflows run it (Temporal), how the worker is wired
 * (Spring), or the activities and routers built on top of it.
 */
class EngineBoundaryTest {
  private static JavaClasses engine;

  @BeforeAll
  static void importEngine() {
    engine = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("dev.phaseshift.engine");
  }

  @Test
  void engineUsesNoTemporal() {
    noClasses().that().resideInAPackage("dev.phaseshift.engine..")
        .should().dependOnClassesThat().resideInAPackage("io.temporal..")
        .check(engine);
  }

  @Test
  void engineUsesNoSpring() {
    noClasses().that().resideInAPackage("dev.phaseshift.engine..")
        .should().dependOnClassesThat().resideInAPackage("org.springframework..")
        .check(engine);
  }

  @Test
  void engineDoesNotReachUpIntoActivitiesOrRouters() {
    noClasses().that().resideInAPackage("dev.phaseshift.engine..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.phaseshift.activities..", "dev.phaseshift.router..")
        .check(engine);
  }

  @Test
  void spiDoesNotKnowItsImplementations() {
    noClasses().that().resideInAPackage("dev.phaseshift.engine")
        .should().dependOnClassesThat().resideInAPackage("dev.phaseshift.engine.postgres..")
        .check(engine);
  }

  /** Roles build on one another, never in a circle, so a class reads knowing only what it uses. */
  @Test
  void postgresEngineClassesHaveNoCycles() {
    slices().assignedFrom(new SliceAssignment() {
      @Override
      public SliceIdentifier getIdentifierOf(JavaClass c) {
        if (!c.getPackageName().equals("dev.phaseshift.engine.postgres")) return SliceIdentifier.ignore();
        String name = c.getName();
        int nested = name.indexOf('$');
        return SliceIdentifier.of(nested < 0 ? name : name.substring(0, nested));
      }

      @Override
      public String getDescription() {
        return "the classes of dev.phaseshift.engine.postgres";
      }
    }).should().beFreeOfCycles().check(engine);
  }
}
