package org.calvinseq.it;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The example engine and the CLI are written against the public API only: what an engine author can
 * use is enough to build both (issue 11). Checked on the compiled classes, so a dependency through
 * a field, a signature or a call fails as well as an import.
 */
class PublicApiTest {
  private static final String NODE_INTERNALS = "org.calvinseq.server.NodeInternals";

  private static JavaClasses classesOf(String pkg) {
    return new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages(pkg);
  }

  @Test
  void theEngineUsesNeitherTheApplyPathNorRatis() {
    noClasses()
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.calvinseq.core.apply..", "org.apache.ratis..")
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName(NODE_INTERNALS)
        .because("an engine needs only SequencerNode's public methods (docs/embedding.md)")
        .check(classesOf("org.calvinseq.it.engine"));
  }

  @Test
  void theCliDoesNotReachIntoTheRaftServer() {
    noClasses()
        .should()
        .dependOnClassesThat()
        .resideInAPackage("org.apache.ratis.server..")
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName(NODE_INTERNALS)
        .because("the CLI runs nodes and talks to clusters through the public API")
        // (It does read BatchReceipt.outcome(), an ApplyResult.Kind of core.apply: public API.)
        .check(classesOf("org.calvinseq.cli"));
  }
}
