package org.acodm.train.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.acodm.config.ConfigTree;
import org.acodm.config.ConfigWriter;
import org.acodm.config.Default;
import org.acodm.config.Doc;
import org.acodm.config.Sections;
import org.acodm.engine.TestPaths;
import org.junit.jupiter.api.Test;

/** docs/config.md is generated from the records and must be current; every key carries a doc and a default. */
class ConfigReferenceTest {
    @Test
    void committedReferenceIsUpToDate() throws Exception {
        Path page = TestPaths.root().resolve("docs/config.md");
        String generated = ConfigReference.markdown();
        if (Boolean.getBoolean("acodm.updateDocs")) {
            ConfigWriter.writeAtomically(page, generated.getBytes(StandardCharsets.UTF_8));
        }
        assertTrue(Files.exists(page), "docs/config.md is missing; regenerate it with -Dacodm.updateDocs=true");
        assertEquals(generated, Files.readString(page),
                "docs/config.md is stale: run mvn test -Dtest=ConfigReferenceTest -Dacodm.updateDocs=true (or ConfigReference.main) and commit it");
    }

    @Test
    void everyKeyIsOnThePageWithItsDefault() {
        String md = ConfigReference.markdown();
        assertTrue(md.contains("| `optimizer.lr` | number | `6.0E-4` | Peak learning rate, reached at the end of warmup. |"), md);
        assertTrue(md.contains("| `data.domain_granularity` | one of window, micro_batch | `micro_batch` |"), md);
        assertTrue(md.contains("| `data.path` | string | (none) |"), md);
        assertTrue(md.contains("| `mixing.static` | mapping (free-form) | `{}` |"), md);
        for (String section : new String[] {"run", "model", "data", "optimizer", "train", "eval", "checkpoint", "mixing"})
            assertTrue(md.contains("## `" + section + "`"), section);
    }

    public record Undocumented(@Default("1") @Doc("ok") int a, @Default("2") int b) {}

    public record NoDefaults(@Doc("ok") int a) {}

    public record BadDefault(@Default("0.5") @Doc("ok") int a, @Default("[x]") @Doc("ok") List<Integer> b) {}

    @Test
    void recordsWithoutDocsOrDefaultsAreRejected() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ConfigTree.empty().bind(Undocumented.class));
        assertTrue(e.getMessage().contains("Undocumented.b has no @Doc"), e.getMessage());
        IllegalStateException d = assertThrows(IllegalStateException.class, () -> ConfigTree.empty().bind(NoDefaults.class));
        assertTrue(d.getMessage().contains("NoDefaults.a has no @Default"), d.getMessage());
        // A default is bound like a value in a file: one of the wrong type is an error naming the key.
        IllegalStateException b = assertThrows(IllegalStateException.class, () -> ConfigTree.empty().bind(BadDefault.class));
        assertTrue(b.getMessage().contains("a: expected an integer, got number 0.5"), b.getMessage());
        assertTrue(b.getMessage().contains("b[0]: expected an integer, got string 'x'"), b.getMessage());
    }

    @Test
    void copiesChangeKeysByName() {
        OptimizerSection o = Sections.with(OptimizerSection.defaults(), "beta1", 0.8, "beta2", 0.99);
        assertEquals(0.8, o.beta1());
        assertEquals(0.99, o.beta2());
        assertEquals(OptimizerSection.defaults().lr(), o.lr());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Sections.with(o, "beta3", 0.9)).getMessage().contains("no key 'beta3'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Sections.with(o, "warmup_steps", 1.5)).getMessage()
                .contains("OptimizerSection.warmup_steps is a Integer, got Double 1.5"));
    }
}
