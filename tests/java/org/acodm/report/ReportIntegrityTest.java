package org.acodm.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.acodm.config.Mappers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19, cases 5 and 6: a report is swapped in whole (a failed report leaves the previous one as it was; a new one
 * carries no plot of a run it no longer shows), and runs are told apart by directory, setup and seed: the same
 * directory twice, the same run copied, or runs of one name on other data are never averaged as seeds, and a run that
 * did not finish is left out of the rankings, saying so.
 */
class ReportIntegrityTest {
    static final long[] STEPS = {0, 10, 20, 30};
    @TempDir Path dir;

    /** A run of RunDirs with run.seed, the data path and the complete flag set in its run.json. */
    static Path run(Path root, String name, long seed, String data, boolean complete, double last) throws IOException {
        Path d = RunDirs.write(root, name, "static", STEPS, new double[] {100, 50, 40, last}, "");
        ObjectNode n = (ObjectNode) Mappers.JSON.readTree(d.resolve("run.json").toFile());
        ObjectNode cfg = (ObjectNode) n.get("config");
        cfg.putObject("run").put("seed", seed).put("name", name).put("threads", seed);  // threads: not part of the setup
        cfg.putObject("data").put("path", data);
        n.put("complete", complete);
        Files.writeString(d.resolve("run.json"), n.toString());
        return d;
    }

    static Map<String, byte[]> files(Path d) throws IOException {
        Map<String, byte[]> m = new TreeMap<>();
        try (var s = Files.list(d)) {
            for (Path p : s.toList()) m.put(p.getFileName().toString(), Files.readAllBytes(p));
        }
        return m;
    }

    @Test void aRunIsItsDirectoryItsSetupAndItsSeed() throws IOException {
        Path a1 = run(dir.resolve("a1"), "base", 1, "data/x", true, 30), a2 = run(dir.resolve("a2"), "base", 2, "data/x", true, 34);
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
                () -> ReportWriter.write(List.of(a1, a2, Path.of(a1 + "/")), dir.resolve("r"), Set.of()));
        assertTrue(twice.getMessage().contains("run directory " + a1 + " is given twice"), twice.getMessage());

        // A copy of a run (same name, seed and setup) is refused; the same name and seed on other data is its own row.
        Path copy = dir.resolve("copy/base");
        Files.createDirectories(copy);
        for (String f : List.of("run.json", "metrics.jsonl")) Files.copy(a1.resolve(f), copy.resolve(f));
        IllegalArgumentException dup = assertThrows(IllegalArgumentException.class, () -> SeedTable.of(List.of(RunLog.read(a1), RunLog.read(copy)), Set.of()));
        assertTrue(dup.getMessage().equals(a1 + " and " + copy + " are both run 'base' with seed 1 and the same configuration: the same run twice "
                + "(or a copy); give each run once"), dup.getMessage());
        Path other = run(dir.resolve("b1"), "base", 1, "data/other", true, 50);
        SeedTable t = SeedTable.of(List.of(RunLog.read(a1), RunLog.read(a2), RunLog.read(other)), Set.of());
        assertEquals(List.of("base", "base [" + other + "]"), t.compared().stream().map(SeedTable.Row::name).toList());
        assertEquals(2, t.compared().get(0).seeds());
        assertEquals(32.0, t.compared().get(0).meanPpl(), 1e-9);
        assertEquals(50.0, t.compared().get(1).meanPpl(), 1e-9);

        // A run stopped early is never the best baseline, an empty log is not a seed; both are named as left out.
        Path stopped = run(dir.resolve("c"), "early", 1, "data/x", false, 20);
        Path empty = run(dir.resolve("d"), "empty", 1, "data/x", true, 30);
        Files.writeString(empty.resolve("metrics.jsonl"), "");
        ReportWriter.Result r = ReportWriter.write(List.of(a1, a2, stopped, empty), dir.resolve("r"), Set.of());
        assertEquals("base (a1)", r.comparison().label(r.comparison().bestBaseline()));
        assertTrue(r.warnings().contains(stopped + " (early) is left out of the rankings: not finished (30 of 30 steps logged)") ||
                r.warnings().stream().anyMatch(w -> w.startsWith(stopped + " (early) is left out of the rankings: not finished")), r.warnings().toString());
        assertTrue(r.warnings().contains(empty + " (empty) is left out of the rankings: no training step logged"), r.warnings().toString());
        assertEquals(List.of("base"), r.seeds().compared().stream().map(SeedTable.Row::name).toList());
        assertTrue(r.seeds().table().contains("left out (cannot be ranked): " + stopped + " (early): not finished"), r.seeds().table());
    }

    @Test void aReportIsSwappedInWhole() throws Exception {
        Path a = run(dir.resolve("a"), "a", 1, "x", true, 30), b = run(dir.resolve("b"), "b", 1, "x", true, 31), c = run(dir.resolve("c"), "c", 1, "x", true, 32);
        Path out = dir.resolve("report");
        ReportWriter.write(List.of(a, b, c), out, Set.of());
        assertTrue(Files.exists(out.resolve("weights_03_c.png")));
        // What an interrupted report of the same folder left beside it is cleared by the next one.
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path staging = dir.resolve("report.tmp-" + gone.pid() + "-0");
        Files.createDirectories(staging);
        Files.writeString(staging.resolve("val_ppl.png.tmp-123"), "half");

        // A report that fails half-way (its page cannot be written: a folder stands in its way, after every plot is drawn)
        // leaves the previous one exactly as it was.
        Map<String, byte[]> before = files(out);
        assertThrows(IOException.class, () -> ReportWriter.write(List.of(a, b), out, Set.of(), "", Map.of("report.html/x", new byte[] {1})));
        Map<String, byte[]> after = files(out);
        assertEquals(before.keySet(), after.keySet());
        for (String k : before.keySet()) assertArrayEquals(before.get(k), after.get(k), k);
        try (var s = Files.list(dir)) {
            assertEquals(List.of(), s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("report.tmp-") && !n.equals(staging.getFileName().toString())).toList(),
                    "the failed report's staging folder is removed");
        }

        // A report of fewer runs carries no plot of the run it dropped, and nothing of the interrupted one.
        ReportWriter.write(List.of(a, b), out, Set.of());
        assertFalse(Files.exists(out.resolve("weights_03_c.png")));
        try (var s = Files.list(dir)) {
            assertEquals(List.of(), s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("report.tmp-")).toList());
        }
        // A folder holding someone else's file is refused, not swapped away.
        Files.writeString(out.resolve("notes.txt"), "mine");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ReportWriter.write(List.of(a), out, Set.of()));
        assertTrue(e.getMessage().contains("holds files a report does not write (notes.txt)"), e.getMessage());
        assertEquals("mine", Files.readString(out.resolve("notes.txt")));
    }
}
