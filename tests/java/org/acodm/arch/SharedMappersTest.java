package org.acodm.arch;

import static com.tngtech.archunit.base.DescribedPredicate.describe;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.TSFBuilder;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.MapperBuilder;
import com.tngtech.archunit.core.domain.JavaConstructorCall;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import org.acodm.config.Mappers;

/** One configured Jackson mapper per format (config.Mappers): nothing else builds a mapper or a factory. */
@AnalyzeClasses(packages = "org.acodm", importOptions = ImportOption.DoNotIncludeTests.class)
class SharedMappersTest {
    @ArchTest
    static final ArchRule onlyMappersBuildsMappers = noClasses().that().doNotBelongToAnyOf(Mappers.class)
            .should().callConstructorWhere(describe("a constructor of an ObjectMapper or a JsonFactory",
                    (JavaConstructorCall call) -> call.getTargetOwner().isAssignableTo(ObjectMapper.class)
                            || call.getTargetOwner().isAssignableTo(JsonFactory.class)))
            .orShould().dependOnClassesThat().areAssignableTo(MapperBuilder.class)
            .orShould().dependOnClassesThat().areAssignableTo(TSFBuilder.class)
            .because("a second mapper with other settings is where formats drift apart; use Mappers.JSON or Mappers.YAML");
}
