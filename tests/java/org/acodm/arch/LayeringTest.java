package org.acodm.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The package layering of DESIGN.md section 3, enforced on the compiled main classes:
 * cli → train / report → mixing → data / engine → nativeapi, each package using only packages below it, and
 * {@code config} a foundation every package may use that itself uses none. Only {@code engine} reaches the
 * JavaCPP surface ({@code nativeapi}, {@code org.bytedeco}); no two packages depend on each other.
 */
@AnalyzeClasses(packages = "org.acodm", importOptions = ImportOption.DoNotIncludeTests.class)
class LayeringTest {
    @ArchTest
    static final ArchRule layers = layeredArchitecture().consideringOnlyDependenciesInLayers()
            .layer("cli").definedBy("org.acodm.cli..")
            .layer("train").definedBy("org.acodm.train..")
            .layer("report").definedBy("org.acodm.report..")
            .layer("mixing").definedBy("org.acodm.mixing..")
            .layer("data").definedBy("org.acodm.data..")
            .layer("engine").definedBy("org.acodm.engine..")
            .layer("nativeapi").definedBy("org.acodm.nativeapi..")
            .layer("config").definedBy("org.acodm.config..")
            .whereLayer("cli").mayNotBeAccessedByAnyLayer()
            .whereLayer("train").mayOnlyBeAccessedByLayers("cli")
            .whereLayer("report").mayOnlyBeAccessedByLayers("cli")
            .whereLayer("mixing").mayOnlyBeAccessedByLayers("cli", "train", "report")
            .whereLayer("data").mayOnlyBeAccessedByLayers("cli", "train", "report", "mixing")
            .whereLayer("engine").mayOnlyBeAccessedByLayers("cli", "train", "report", "mixing")
            .whereLayer("nativeapi").mayOnlyBeAccessedByLayers("engine");
    // config is open to every layer; that it uses none of them follows from the lists above, which never name it.

    @ArchTest
    static final ArchRule onlyTheEngineTouchesJavaCpp = noClasses()
            .that().resideOutsideOfPackages("org.acodm.engine..", "org.acodm.nativeapi..")
            .should().dependOnClassesThat().resideInAnyPackage("org.acodm.nativeapi..", "org.bytedeco..")
            .because("org.acodm.engine's typed wrappers are the only way to native memory (DESIGN.md section 3)");

    @ArchTest
    static final ArchRule noCycles = slices().matching("org.acodm.(**)").should().beFreeOfCycles();
}
