package org.acodm.train.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.acodm.config.ConfigErrors;
import org.acodm.config.ConfigException;
import org.acodm.config.ConfigTree;
import org.acodm.config.Default;
import org.acodm.config.Doc;
import org.acodm.config.Sections;
import org.acodm.config.Validated;
import org.acodm.mixing.MixingMethod;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading, defaults, errors (key, file, line) and overrides of the run configuration. */
class ConfigTreeTest {
    private static final String FILE = "configs/x.yaml";

    private static RunConfig bind(String yaml, String... sets) {
        return ConfigTree.parse(yaml, FILE).withOverrides(List.of(sets)).bind(RunConfig.class);
    }

    private static List<String> errors(String yaml, String... sets) {
        return assertThrows(ConfigException.class, () -> bind(yaml, sets)).errors();
    }

    private static final String MINIMAL = """
            data:
              path: data/minipile-byte
            """;

    @Test
    void missingKeysComeFromDefaults() {
        RunConfig c = bind("""
                run:
                  name: demo
                data:
                  path: data/minipile-byte
                  batch_size: 16
                optimizer:
                  lr: 3.0e-4
                """);
        assertEquals("demo", c.run().name());
        assertEquals(RunSection.defaults().seed(), c.run().seed());
        assertEquals(RunSection.Device.AUTO, c.run().device());
        assertEquals("data/minipile-byte", c.data().path());
        assertEquals(16, c.data().batchSize());
        assertEquals(256, c.data().seqLen());
        assertEquals(DataSection.DomainGranularity.MICRO_BATCH, c.data().domainGranularity());
        assertEquals(3e-4, c.optimizer().lr());
        assertEquals(0.95, c.optimizer().beta2());
        assertEquals(TrainSection.defaults(), c.train());
        assertEquals(MixingMethod.STATIC, c.mixing().method());
    }

    @Test
    void unknownKeyNamesFileLineAndSuggestion() {
        List<String> e = errors("""
                data:
                  path: d
                optimizer:
                  lrr: 0.1
                """);
        assertEquals(List.of("configs/x.yaml:4: unknown key 'optimizer.lrr' (did you mean 'optimizer.lr'?)"), e);
    }

    @Test
    void unknownSectionWithoutCloseMatchListsKnownKeys() {
        List<String> e = errors(MINIMAL + "zzzzzz: 1\n");
        assertEquals(1, e.size());
        assertTrue(e.get(0).startsWith("configs/x.yaml:3: unknown key 'zzzzzz' (known keys: run, model, data, optimizer"), e.get(0));
    }

    @Test
    void wrongTypesNameTheKey() {
        List<String> e = errors("""
                data:
                  path: d
                  batch_size: eight
                  domains: Github
                run:
                  name: 2024
                eval:
                  at_start: 1
                """);
        assertEquals(List.of(
                "configs/x.yaml:6: run.name: expected a string, got integer 2024 (quote it: '2024')",
                "configs/x.yaml:3: data.batch_size: expected an integer, got string 'eight'",
                "configs/x.yaml:4: data.domains: expected a list, got string 'Github'",
                "configs/x.yaml:8: eval.at_start: expected true or false, got integer 1"), e);
    }

    @Test
    void impossibleValuesAreReportedTogetherWithTheirKeys() {
        List<String> e = errors("""
                data:
                  path: d
                  batch_size: 10
                  micro_batches: 4
                optimizer:
                  lr: 1.0e-3
                  min_lr: 1.0e-2
                  beta2: 1.5
                train:
                  steps: 0
                """);
        assertEquals(List.of(
                "configs/x.yaml:4: data.micro_batches: 4 does not divide batch_size 10",
                "configs/x.yaml:7: optimizer.min_lr: must be <= lr (0.001), got 0.01",
                "configs/x.yaml:8: optimizer.beta2: must lie in [0, 1), got 1.5",
                "configs/x.yaml:10: train.steps: must be >= 1, got 0"), e);
        ConfigException ex = assertThrows(ConfigException.class, () -> bind("optimizer: {beta1: -1}\n" + "data: {path: d}\n"));
        assertEquals("configs/x.yaml:1: optimizer.beta1: must lie in [0, 1), got -1.0", ex.getMessage());
    }

    @Test
    void crossSectionCheckAndRequiredPath() {
        List<String> e = errors("""
                train:
                  steps: 10
                optimizer:
                  warmup_steps: 20
                """);
        assertEquals(List.of(
                "configs/x.yaml: data.path: is required: the directory written by `acodm prepare`",
                "configs/x.yaml:4: optimizer.warmup_steps: must be <= train.steps (10), got 20"), e);
    }

    @Test
    void integersAcceptWholeFloatsOnlyAndCheckRange() {
        assertEquals(100_000, bind(MINIMAL + "train: {steps: 1e5}\n").train().steps());
        assertEquals(List.of("configs/x.yaml:3: train.steps: expected an integer, got number 1.5"), errors(MINIMAL + "train: {steps: 1.5}\n"));
        assertEquals(List.of("configs/x.yaml:3: data.seq_len: integer 4294967296 is out of range for a 32-bit integer"),
                errors("data:\n  path: d\n  seq_len: 4294967296\n"));
    }

    @Test
    void enumsAreCaseInsensitiveAndSuggest() {
        assertEquals(RunSection.Device.CUDA, bind(MINIMAL + "run: {device: CUDA}\n").run().device());
        assertEquals(MixingMethod.FROZEN_ACTOR, bind(MINIMAL + "mixing: {method: frozen-actor}\n").mixing().method());
        assertEquals(List.of("configs/x.yaml:3: mixing.method: expected one of static, odm, doge, alignment, acodm, frozen_actor, got 'acdom' (did you mean 'acodm'?)"),
                errors(MINIMAL + "mixing: {method: acdom}\n"));
        // Every registered method has its settings key in the section; a misspelt one is suggested.
        assertEquals(List.of("configs/x.yaml:3: unknown key 'mixing.acdom' (did you mean 'mixing.acodm'?)"),
                errors(MINIMAL + "mixing: {method: acodm, acdom: {hidden: 64}}\n"));
        for (MixingMethod m : MixingMethod.values())
            assertEquals(Map.of("k", 1), bind(MINIMAL + "mixing: {method: " + m.key() + ", " + m.key() + ": {k: 1}}\n").mixing().settings(m));
    }

    @Test
    void nullIsOnlyAllowedWhereTheDefaultIsNull() {
        assertEquals(List.of("configs/x.yaml:3: optimizer.lr: must not be null (leave the key out to get the default)"),
                errors(MINIMAL + "optimizer: {lr: ~}\n"));
    }

    @Test
    void yamlSyntaxErrorsAndDuplicatesNameTheLine() {
        ConfigException dup = assertThrows(ConfigException.class, () -> ConfigTree.parse("data:\n  path: a\n  path: b\n", FILE));
        assertEquals("configs/x.yaml:3: duplicate key 'data.path'", dup.getMessage());
        ConfigException bad = assertThrows(ConfigException.class, () -> ConfigTree.parse("data:\n  path: [a\nrun: {\n", FILE));
        assertTrue(bad.getMessage().startsWith("configs/x.yaml:"), bad.getMessage());
        assertTrue(bad.getMessage().contains("not valid YAML"), bad.getMessage());
        ConfigException top = assertThrows(ConfigException.class, () -> ConfigTree.parse("- a\n- b\n", FILE));
        assertTrue(top.getMessage().startsWith("configs/x.yaml:1: the top level must be a mapping"), top.getMessage());
    }

    @Test
    void emptyFileIsAllDefaults() {
        RunConfig c = ConfigTree.parse("", FILE).withOverride("data.path=d").bind(RunConfig.class);
        assertEquals(RunConfig.defaults().optimizer(), c.optimizer());
    }

    @Test
    void overridesApplyOnTopOfTheFile() {
        RunConfig c = bind(MINIMAL + "optimizer:\n  lr: 1.0e-3\n",
                "optimizer.lr=3e-4", "data.domains=[Github, ArXiv]", "run.device=cpu", "mixing.acodm={gamma: 0.9, hidden: [64, 64]}",
                "train.steps=42");
        assertEquals(3e-4, c.optimizer().lr());
        assertEquals(List.of("Github", "ArXiv"), c.data().domains());
        assertEquals(RunSection.Device.CPU, c.run().device());
        assertEquals(42, c.train().steps());
        assertEquals(Map.of("gamma", 0.9, "hidden", List.of(64, 64)), c.mixing().settings(MixingMethod.ACODM));
    }

    @Test
    void overrideErrorsNameTheSet() {
        assertEquals(List.of("--set optimizer.lrr=1: unknown key 'optimizer.lrr' (did you mean 'optimizer.lr'?)"),
                errors(MINIMAL, "optimizer.lrr=1"));
        assertEquals(List.of("--set optimizer.beta2=1.5: optimizer.beta2: must lie in [0, 1), got 1.5"), errors(MINIMAL, "optimizer.beta2=1.5"));
        assertEquals(List.of("--set data.batch_size='8': data.batch_size: expected an integer, got string '8'"), errors(MINIMAL, "data.batch_size='8'"));
        ConfigException notSection = assertThrows(ConfigException.class, () -> bind(MINIMAL, "data.path.x=1"));
        assertEquals("--set data.path.x=1: cannot set 'data.path.x': 'data.path' holds string 'data/minipile-byte', not a section", notSection.getMessage());
        ConfigException noEq = assertThrows(ConfigException.class, () -> bind(MINIMAL, "optimizer.lr"));
        assertTrue(noEq.getMessage().startsWith("--set optimizer.lr: expected KEY=VALUE"), noEq.getMessage());
    }

    @Test
    void overrideReplacesLinesOfTheOldValue() {
        // The file's line for optimizer.lr must not be blamed for the override's bad value.
        List<String> e = errors(MINIMAL + "optimizer:\n  lr: 1.0e-3\n", "optimizer.lr=-1");
        assertEquals(List.of("--set optimizer.lr=-1: optimizer.lr: must be > 0, got -1.0"), e);
    }

    /** A section as a mixing policy would define it, bound from a sub-tree. */
    @Doc("Test policy settings.")
    public record PolicySettings(
            @Default("0.95") @Doc("Discount.") double gamma,
            @Default("[1024, 1024]") @Doc("Hidden sizes.") List<Integer> hidden,
            @Default("{}") @Doc("Per-domain floors.") Map<String, Double> floors,
            @Doc("Nested.") Inner inner) implements Validated {
        public static PolicySettings defaults() { return Sections.defaults(PolicySettings.class); }

        @Override public void validate(ConfigErrors errors) {
            errors.check(gamma >= 0 && gamma <= 1, "gamma", "must lie in [0, 1], got " + gamma);
            for (int i = 0; i < hidden.size(); i++) errors.check(hidden.get(i) > 0, "hidden[" + i + "]", "must be > 0");
        }
    }

    public record Inner(@Default("0.001") @Doc("Tau.") double tau) {}

    @Test
    void bindsASubTreeToAnyRecordWithFullKeys() {
        String yaml = MINIMAL + """
                mixing:
                  method: acodm
                  acodm:
                    gamma: 0.9
                    floors: {Github: 0.01}
                """;
        ConfigTree tree = ConfigTree.parse(yaml, FILE);
        RunConfig c = tree.bind(RunConfig.class);
        assertEquals("mixing.acodm", c.mixing().settingsKey());
        PolicySettings p = tree.bind(c.mixing().settingsKey(), PolicySettings.class);
        assertEquals(new PolicySettings(0.9, List.of(1024, 1024), Map.of("Github", 0.01), new Inner(0.001)), p);
        // A section nobody wrote binds to the defaults, which are the @Default texts bound like values from a file.
        assertEquals(PolicySettings.defaults(), tree.bind("mixing.odm", PolicySettings.class));
        assertEquals(new PolicySettings(0.95, List.of(1024, 1024), Map.of(), new Inner(0.001)), PolicySettings.defaults());

        ConfigTree bad = ConfigTree.parse(MINIMAL + """
                mixing:
                  acodm:
                    gama: 0.9
                    hidden: [64, -1, x]
                    inner: {tau: high}
                """, FILE);
        ConfigException e = assertThrows(ConfigException.class, () -> bad.bind("mixing.acodm", PolicySettings.class));
        assertEquals(List.of(
                "configs/x.yaml:5: unknown key 'mixing.acodm.gama' (did you mean 'mixing.acodm.gamma'?)",
                "configs/x.yaml:6: mixing.acodm.hidden[2]: expected an integer, got string 'x'",
                "configs/x.yaml:7: mixing.acodm.inner.tau: expected a number, got string 'high'"), e.errors());
        ConfigException v = assertThrows(ConfigException.class,
                () -> ConfigTree.parse(MINIMAL + "mixing:\n  acodm:\n    hidden: [64, -1]\n", FILE).bind("mixing.acodm", PolicySettings.class));
        assertEquals(List.of("configs/x.yaml:5: mixing.acodm.hidden[1]: must be > 0"), v.errors());
    }

    @Test
    void loadNamesAMissingFile(@TempDir Path dir) throws Exception {
        assertThrows(NoSuchFileException.class, () -> ConfigTree.load(dir.resolve("nope.yaml")));
        Path f = dir.resolve("c.yaml");
        Files.writeString(f, MINIMAL + "optimizer:\n  lrr: 1\n");
        ConfigException e = assertThrows(ConfigException.class, () -> RunConfig.load(f, List.of()));
        assertEquals(f + ":4: unknown key 'optimizer.lrr' (did you mean 'optimizer.lr'?)", e.getMessage());
        assertEquals(5e-4, RunConfig.load(f, List.of("optimizer={lr: 5e-4}")).optimizer().lr());
    }

    /** Issue 19, item 9: `name: *m` became the string "m", even with no anchor &m before it. */
    @Test
    void anchorsAndAliasesAreRefusedNamingTheLine() {
        ConfigException alias = assertThrows(ConfigException.class, () -> bind(MINIMAL + "run:\n  name: *m\n"));
        assertEquals("configs/x.yaml:4: run.name: YAML alias '*m' is not supported (nor are anchors): write the value out in full", alias.getMessage());
        // Jackson's parser does not report an anchor on a scalar (harmless on its own); its alias is refused.
        ConfigException scalar = assertThrows(ConfigException.class, () -> bind("""
                data:
                  path: &p data/minipile-byte
                run:
                  name: *p
                """));
        assertEquals("configs/x.yaml:4: run.name: YAML alias '*p' is not supported (nor are anchors): write the value out in full",
                scalar.getMessage());
        ConfigException section = assertThrows(ConfigException.class, () -> bind(MINIMAL + "optimizer: &opt\n  lr: 1.0\n"));
        assertTrue(section.getMessage().startsWith("configs/x.yaml:3: optimizer: YAML anchor '&opt' is not supported"), section.getMessage());
        ConfigException merge = assertThrows(ConfigException.class, () -> bind(MINIMAL + "optimizer:\n  <<: *opt\n"));
        assertTrue(merge.getMessage().startsWith("configs/x.yaml:4: optimizer.<<: YAML alias '*opt' is not supported"), merge.getMessage());
        ConfigException set = assertThrows(ConfigException.class, () -> bind(MINIMAL, "run.name=*m"));
        assertEquals("--set run.name=*m: run.name: YAML alias '*m' is not supported (nor are anchors): write the value out in full", set.getMessage());
        // A '*' or '&' inside a value is text, as before.
        assertEquals("data/a*b&c", bind("data:\n  path: data/a*b&c\n").data().path());
    }

    /** Issue 19, item 14: `--config /dev/zero` said "not found"; a directory or a device is named as what it is. */
    @Test
    void aConfigThatIsNotARegularFileIsNamedAsSuch(@TempDir Path dir) {
        java.io.IOException device = assertThrows(java.io.IOException.class, () -> ConfigTree.load(Path.of("/dev/zero")));
        assertEquals("/dev/zero: is not a regular file (a device, a FIFO or a socket), not a config file (a YAML file)", device.getMessage());
        java.io.IOException folder = assertThrows(java.io.IOException.class, () -> ConfigTree.load(dir));
        assertEquals(dir + ": is a directory, not a config file (a YAML file)", folder.getMessage());
        NoSuchFileException missing = assertThrows(NoSuchFileException.class, () -> ConfigTree.load(dir.resolve("nope.yaml")));
        assertEquals(dir.resolve("nope.yaml") + ": config file not found", missing.getMessage());
    }

    @Test
    void locateFallsBackToTheNearestWrittenParent() {
        ConfigTree t = ConfigTree.parse(MINIMAL + "optimizer:\n  lr: 1.0\n", FILE);
        assertEquals("configs/x.yaml:3", t.locate("optimizer.min_lr"));
        assertEquals("configs/x.yaml:4", t.locate("optimizer.lr"));
        assertEquals("configs/x.yaml", t.locate("train.steps"));
        assertNull(t.node("train").orElse(null));
    }
}
