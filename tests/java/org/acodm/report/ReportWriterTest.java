package org.acodm.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.acodm.cli.Main;
import org.acodm.data.StepRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The report's numbers on synthetic runs whose answers are known, its robustness, and its files. */
class ReportWriterTest {
    static final long[] EVAL_STEPS = {0, 10, 20, 30};

    @TempDir static Path root;
    static Path staticRun, odmRun, acodmRun;

    @BeforeAll
    static void runs() throws Exception {
        staticRun = RunDirs.write(root, "static-natural", "static", EVAL_STEPS, new double[] {100, 50, 30, 25}, "");
        // odm is the best baseline: final 22 at step 30.
        odmRun = RunDirs.write(root, "odm", "odm", EVAL_STEPS, new double[] {100, 45, 28, 22}, "");
        // The transferred actor gets below 22 at step 20; its file ends in a line cut short by a crash.
        acodmRun = RunDirs.write(root, "acodm-target", "frozen_actor", EVAL_STEPS, new double[] {100, 40, 21, 18},
                "{\"type\":\"step\",\"step\":31,\"loss\":2.0,\"wei");
    }

    @Test
    void stepsToReachTheBestBaselineAndSpeedup() {
        Comparison c = new Comparison(List.of(RunLog.read(staticRun), RunLog.read(odmRun), RunLog.read(acodmRun)));
        assertEquals("odm", c.bestBaseline().info().name());
        assertEquals(22.0, c.target());
        List<RunSummary> rows = c.rows();
        assertEquals(new RunSummary("static-natural", "static", true, 30, 25.0, Math.log(25) / Math.log(2) / 4, -1, Double.NaN), rows.get(0));
        assertEquals(30, rows.get(1).stepsToTarget());
        assertEquals(1.0, rows.get(1).speedup());
        assertEquals(20, rows.get(2).stepsToTarget());
        assertEquals(1.5, rows.get(2).speedup());
        assertEquals(18.0, rows.get(2).finalPpl());
        assertEquals(Math.log(18) / Math.log(2) / 4, rows.get(2).finalBpb(), 1e-12);
        assertEquals(false, rows.get(2).baseline());

        String table = c.table();
        String[] lines = table.split("\n");
        assertEquals("run             method        final step  val ppl  bits/byte  steps to target  speed-up", lines[0]);
        assertEquals("static-natural  static                30   25.000     1.1610              n/a       n/a", lines[2]);
        assertEquals("acodm-target    frozen_actor          30   18.000     1.0425               20     1.50x", lines[4]);
        assertTrue(lines[5].startsWith("target: validation perplexity 22.000, the final perplexity of the best baseline 'odm' (odm)"), lines[5]);
    }

    @Test
    void withoutBaselinesTheTargetIsNotAvailable() {
        Comparison c = new Comparison(List.of(RunLog.read(acodmRun)));
        assertEquals(-1, c.rows().get(0).stepsToTarget());
        assertTrue(Double.isNaN(c.target()));
        assertTrue(c.table().contains("target: n/a (no baseline run"), c.table());
    }

    @Test
    void truncatedLastLineIsIgnoredWithAWarning() {
        RunLog r = RunLog.read(acodmRun);
        assertEquals(30, r.steps().size());
        assertEquals(30, r.steps().get(29).step());
        assertEquals(4, r.evals().size());
        assertEquals(1, r.warnings().size());
        assertTrue(r.warnings().get(0).endsWith("metrics.jsonl:35: ignored a truncated last line (the run stopped while writing it)"), r.warnings().get(0));
        assertEquals(2.0 / 3, r.steps().get(29).weights().get("Github"), 1e-6);
    }

    @Test
    void recordsRepeatedAfterAResumeReplaceTheOldOnes(@TempDir Path dir) throws Exception {
        Path run = RunDirs.write(dir, "resumed", "odm", new long[] {0, 5}, new double[] {50, 40}, "");
        // The run crashed after step 5 and resumed from a checkpoint at step 3: steps 4.. and the eval at 5 come again.
        Files.writeString(run.resolve("metrics.jsonl"), Files.readString(run.resolve("metrics.jsonl"))
                + "{\"type\":\"step\",\"step\":4,\"loss\":9.0,\"weights\":{\"Github\":1.0}}\n"
                + "{\"type\":\"step\",\"step\":5,\"loss\":8.0,\"weights\":{\"Github\":1.0}}\n"
                + "{\"type\":\"eval\",\"step\":5,\"loss\":3.0,\"ppl\":20.0,\"bpb\":1.0}\n"
                + "{\"type\":\"agent\",\"step\":5,\"q\":1.0}\n");
        RunLog r = RunLog.read(run);
        assertArrayEquals(new long[] {1, 2, 3, 4, 5}, r.steps().stream().mapToLong(StepRecord::step).toArray());
        assertEquals(9.0, r.steps().get(3).loss());
        assertEquals(2, r.evals().size());
        assertEquals(20.0, r.finalEval().ppl());
        assertTrue(r.warnings().isEmpty());
    }

    @Test
    void badInputsNameTheirFile(@TempDir Path dir) throws Exception {
        Path empty = Files.createDirectories(dir.resolve("not-a-run"));
        RunDataException e = assertThrows(RunDataException.class, () -> RunLog.read(empty));
        assertEquals(empty + ": no run.json (not a run directory, or the run never started)", e.getMessage());

        Path run = RunDirs.write(dir, "corrupt", "odm", new long[] {0, 2}, new double[] {50, 40}, "");
        List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
        lines.set(1, "{\"type\":\"step\",");
        Files.write(run.resolve("metrics.jsonl"), lines);
        RunDataException c = assertThrows(RunDataException.class, () -> RunLog.read(run));
        assertTrue(c.getMessage().startsWith(run.resolve("metrics.jsonl") + ":2: not valid JSON"), c.getMessage());

        Files.writeString(run.resolve("run.json"), "{\"name\":\"x\",\"method\":\"odm\"}");
        RunDataException d = assertThrows(RunDataException.class, () -> RunLog.read(run));
        assertEquals(run.resolve("run.json") + ": missing \"domains\" (a list of domain names)", d.getMessage());
    }

    @Test
    void writesThePageAndValidPngsOfTheExpectedSize(@TempDir Path out) throws Exception {
        ReportWriter.Result r = ReportWriter.write(List.of(staticRun, odmRun, acodmRun), out.resolve("report"));
        Path dir = out.resolve("report");
        assertEquals(List.of("report.html", "val_ppl.png", "val_ppl_late.png", "domain_ppl.png", "max_weight.png", "entropy.png", "weights_01_static-natural.png", "weights_02_odm.png",
                "weights_03_acodm-target.png"), r.files().stream().map(p -> p.getFileName().toString()).toList());
        for (Path p : r.files().subList(1, r.files().size())) {
            byte[] bytes = Files.readAllBytes(p);
            assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, Arrays.copyOf(bytes, 8), p.toString());
            BufferedImage img = ImageIO.read(p.toFile());
            int expectedHeight = p.getFileName().toString().equals("domain_ppl.png") ? Charts.HEIGHT + 100 : Charts.HEIGHT;
            assertEquals(Charts.WIDTH, img.getWidth(), p.toString());
            assertEquals(expectedHeight, img.getHeight(), p.toString());
            assertTrue(distinctColours(img) > 20, p + " looks blank");
        }
        String html = Files.readString(dir.resolve("report.html"));
        assertTrue(html.contains("<img src=\"val_ppl.png\""));
        assertTrue(html.contains("<img src=\"weights_03_acodm-target.png\""));
        assertTrue(html.contains("<td class=\"num\">20</td><td class=\"num\">1.50x</td>"), html);
        assertTrue(html.contains("ignored a truncated last line"));
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "temporary files left behind");
        }
    }

    @Test
    void seedsAreSummarisedAsMeanAndSdWithIgnoredDomainsAndProxiesApart(@TempDir Path dir) throws Exception {
        // Two seeds of "odm" (final 22 and 26), one of "uniform" (final 30), a proxy on another model.
        Path odm1 = RunDirs.write(dir.resolve("s1"), "odm", "odm", EVAL_STEPS, new double[] {100, 45, 28, 22}, "");
        Path odm2 = RunDirs.write(dir.resolve("s2"), "odm", "odm", EVAL_STEPS, new double[] {100, 45, 28, 26}, "");
        Path uni = RunDirs.write(dir.resolve("s1"), "uniform", "static", EVAL_STEPS, new double[] {100, 45, 35, 30}, "");
        Path proxy = RunDirs.write(dir.resolve("s1"), "acodm-proxy", "acodm", "demo-proxy", EVAL_STEPS, new double[] {100, 60, 40, 33}, "");
        List<RunLog> runs = List.of(RunLog.read(proxy), RunLog.read(odm1), RunLog.read(uni), RunLog.read(odm2));

        SeedTable t = SeedTable.of(runs, java.util.Set.of());
        assertEquals("demo-target", t.comparedModel());
        assertEquals("demo-proxy", SeedTable.shortModel("name=demo-proxy,layers=4,d_model=128"));
        assertEquals(List.of("odm", "uniform"), t.compared().stream().map(SeedTable.Row::name).toList());
        assertEquals(List.of("acodm-proxy"), t.apart().stream().map(SeedTable.Row::name).toList());
        SeedTable.Row odm = t.compared().get(0);
        assertEquals(2, odm.seeds());
        // RunDirs' domain perplexities are 0.8, 1.1 and 1.3 times the logged mean; the mean itself is used here.
        assertEquals(24.0, odm.meanPpl(), 1e-12);
        assertEquals(Math.sqrt(8), odm.sdPpl(), 1e-12);
        assertTrue(Double.isNaN(t.compared().get(1).sdPpl()), "one seed has no sd");
        // Steps 15..30 of 30: Github's weight (1 + s/30)/3 is the largest, mean (1 + 22.5/30)/3.
        assertEquals(1.75 / 3, odm.maxWeight(), 1e-5);
        double h = 0;
        for (int s = 15; s <= 30; s++) {
            double g = (1 + s / 30.0) / 3, a = (1 - s / 60.0) / 3;
            h -= g * Math.log(g) + 2 * a * Math.log(a);
        }
        assertEquals(h / 16, odm.entropy(), 1e-4);

        SeedTable ign = SeedTable.of(runs, java.util.Set.of("Wikipedia (en)"));
        SeedTable.Row o = ign.compared().get(0);
        // Without Wikipedia (1.3x): (0.8 + 1.1) / 2 = 0.95 of 22 and of 26.
        assertEquals(0.95 * 24, o.meanPpl(), 1e-5);
        assertEquals(0.95 * Math.sqrt(8), o.sdPpl(), 1e-5);
        assertEquals((1 - 22.5 / 60) / 3, o.ignoredWeight().get(0), 1e-5);

        String text = ign.table();
        assertTrue(text.contains("reported apart"), text);
        assertTrue(text.lines().anyMatch(l -> l.startsWith("odm ") && l.contains(" 2 ") && l.contains("22.800") && l.contains("2.687")), text);

        ReportWriter.Result r = ReportWriter.write(List.of(proxy, odm1, uni, odm2), dir.resolve("report"), java.util.Set.of("Wikipedia (en)"));
        String html = Files.readString(dir.resolve("report").resolve("report.html"));
        assertTrue(html.contains("<th>weight Wikipedia (en)</th>"), html);
        assertTrue(html.contains("<td class=\"num\">22.800</td><td class=\"num\">2.687</td>"), html);
        assertEquals(r.seeds().compared().size(), 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ReportWriter.write(List.of(odm1), dir.resolve("r2"), java.util.Set.of("Noise")));
        assertTrue(e.getMessage().startsWith("--ignore-domains: 'Noise' is not a domain of any run"), e.getMessage());
    }

    private static int distinctColours(BufferedImage img) {
        java.util.Set<Integer> s = new java.util.HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 3) for (int x = 0; x < img.getWidth(); x += 3) s.add(img.getRGB(x, y));
        return s.size();
    }

    @Test
    void commandPrintsTheTableAndNamesAMissingRun(@TempDir Path out) {
        CommandLine cl = Main.commandLine();
        StringWriter so = new StringWriter(), se = new StringWriter();
        cl.setOut(new PrintWriter(so));
        cl.setErr(new PrintWriter(se));
        int rc = cl.execute("report", odmRun.toString(), acodmRun.toString(), "--out", out.toString());
        assertEquals(0, rc, se.toString());
        // Two runs: odm is the only baseline, so the target is its 22.0 (30 steps) and acodm-target gets there at 20.
        assertTrue(so.toString().lines().anyMatch(l -> l.startsWith("acodm-target") && l.endsWith(" 20     1.50x")), so.toString());
        assertTrue(so.toString().contains("wrote " + out.resolve("report.html")), so.toString());
        assertTrue(se.toString().contains("warning: "), se.toString());

        StringWriter se2 = new StringWriter();
        cl.setErr(new PrintWriter(se2));
        int bad = cl.execute("report", out.resolve("nope").toString(), "--out", out.toString());
        assertEquals(1, bad);
        assertEquals("acodm: " + out.resolve("nope") + ": not a directory", se2.toString().trim());
    }

    @Test
    void plotFileNamesKeepTheLabelWithoutDanglingSeparators() {
        assertEquals("acodm-proxy_seed-1", ReportWriter.fileSafe("acodm-proxy (seed-1)"));
        assertEquals("a_b.c", ReportWriter.fileSafe(" a / b.c "));
    }
}
