package org.acodm.train.config;

import org.acodm.config.ConfigTree;
import org.acodm.config.ConfigWriter;
import org.acodm.config.Doc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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

    public record Undocumented(@Doc("ok") int a, int b) {
        public static Undocumented defaults() { return new Undocumented(1, 2); }
    }

    public record NoDefaults(@Doc("ok") int a) {}

    @Test
    void recordsWithoutDocsOrDefaultsAreRejected() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ConfigTree.empty().bind(Undocumented.class));
        assertTrue(e.getMessage().contains("Undocumented.b has no @Doc"), e.getMessage());
        IllegalStateException d = assertThrows(IllegalStateException.class, () -> ConfigTree.empty().bind(NoDefaults.class));
        assertTrue(d.getMessage().contains("has no static defaults()"), d.getMessage());
    }
}
