package org.calvinseq.core.arch;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The core's packages form a directed acyclic graph, so each can be read, tested and replaced from
 * the bottom up: model and codec at the bottom, routing, completion and metrics above them, replay
 * and queue above those, apply (the entry point) and protocol on top.
 */
class CorePackagesTest {
  private static final JavaClasses CORE =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
          .importPackages("org.calvinseq.core");

  @Test
  void packagesAreFreeOfCycles() {
    slices().matching("org.calvinseq.core.(*)..").should().beFreeOfCycles().check(CORE);
  }
}
