package org.acodm.mixing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.acodm.config.ConfigException;
import org.acodm.train.TrainFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19, items 9 and 10: a weight-map file is read by the config reader, so it follows a config file's rules (no
 * duplicate keys, no anchors or aliases, line numbers in errors), and weights whose sum overflows a double are an
 * error naming the key at load, in the dry run too, instead of normalising every weight to 0.
 */
class WeightMapFilesTest {
    @TempDir Path dir;

    private Path file(String yaml) throws IOException {
        return Files.writeString(dir.resolve("w.yaml"), yaml);
    }

    @Test void duplicateKeysAnchorsAndAliasesAreRefusedLikeInAConfig() throws IOException {
        Path f = file("A: 1\nB: 2\nA: 3\n");
        ConfigException dup = assertThrows(ConfigException.class, () -> WeightMaps.readYaml(f));
        assertEquals(f + ":3: duplicate key 'A'", dup.getMessage());
        file("A: &w 1\nB: *w\n");
        ConfigException alias = assertThrows(ConfigException.class, () -> WeightMaps.readYaml(f));
        assertEquals(f + ":2: B: YAML alias '*w' is not supported (nor are anchors): write the value out in full", alias.getMessage());
        file("- A\n- B\n");
        ConfigException list = assertThrows(ConfigException.class, () -> WeightMaps.readYaml(f));
        assertEquals(f + ":1: a weight map must be a YAML mapping, got a list", list.getMessage());
        file("A: 1\nB: two\n");
        IOException notNumber = assertThrows(IOException.class, () -> WeightMaps.readYaml(f));
        assertEquals(f + ": weights must be numbers; not numbers: B (\"two\") at " + f + ":2", notNumber.getMessage());
        Map<String, Double> ok = WeightMaps.readYaml(file("A: 1\n\"PubMed Central\": 3\n"));
        assertEquals(Map.of("A", 1.0, "PubMed Central", 3.0), ok);
    }

    @Test void weightsWhoseSumOverflowsAreAnErrorNamingTheKey() throws IOException {
        Path f = file("A: 1.0e308\nB: 1.0e308\nC: 1\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WeightMaps.readYaml(f));
        assertEquals(f + ":2: the weights up to 'B' (1.0E308) sum beyond the range of a double (about 1.8e308), so every normalised weight "
                + "would be 0; weights are relative: scale them all down", e.getMessage());
        // An inline map (mixing.static.weights) is checked when it is resolved against the run's domains.
        Map<String, Double> inline = new LinkedHashMap<>();
        inline.put("A", 1e308);
        inline.put("B", 1e308);
        e = assertThrows(IllegalArgumentException.class, () -> WeightMaps.resolve(inline, List.of("A", "B"), "(inline)"));
        assertTrue(e.getMessage().startsWith("weight map (inline): the weights up to 'B' (1.0E308) sum beyond the range of a double"), e.getMessage());
        // Large weights whose sum fits are normalised as any others.
        inline.put("B", 3e307);
        assertArrayEquals(new double[] {1e308 / 1.3e308, 3e307 / 1.3e308}, WeightMaps.resolve(inline, List.of("A", "B"), "(inline)"), 1e-15);
    }

    @Test void theDryRunRefusesOverflowingWeights() throws IOException {
        StringBuilder yaml = new StringBuilder();
        for (String d : TrainFixtures.DOMAINS) yaml.append(d).append(": 1.0e308\n");
        Path weights = file(yaml.toString());
        Path cfg = TrainFixtures.writeConfig(dir.resolve("static.yaml"), "static-file",
                "  method: static\n  static:\n    source: file\n    file: " + weights);
        TrainFixtures.CliResult r = TrainFixtures.cli("train", "--dry-run", "--config", cfg.toString(), "--out", dir.resolve("run").toString());
        assertEquals(1, r.rc(), r.all());
        assertTrue(r.err().contains(weights + ":2: the weights up to '" + TrainFixtures.DOMAINS.get(1) + "' (1.0E308) sum beyond the range of a double"),
                r.all());
        assertFalse(r.out().contains("0.0000"), "no plan of zero weights is printed:\n" + r.out());
        assertFalse(Files.exists(dir.resolve("run")));
    }
}
