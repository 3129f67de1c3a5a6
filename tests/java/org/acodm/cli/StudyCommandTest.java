package org.acodm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.acodm.config.Mappers;
import org.acodm.train.TrainFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `acodm study` as an instrument: on a tiny model, a run that is a worse copy of the baseline (half the learning rate)
 * is reported as worse with an interval that excludes 0, and the baseline on another sampler stream (the noise floor)
 * as not resolved; a study collected from runs trained by hand gives the same report as the study that trained them;
 * a run whose config changed since it ran is refused.
 */
class StudyCommandTest {
    @TempDir Path dir;

    /** A tiny run on four minipile domains: T 32, B 8 windows each drawing its domain, STEPS steps, final eval on 64 windows. */
    static Path writeRunConfig(Path file, int steps) throws IOException {
        Files.writeString(file, String.join("\n",
                "run: {name: x, device: cpu, threads: 1}",
                "model: {config: tiny}",
                "data: {path: unused, seq_len: 32, batch_size: 8, domain_granularity: window,",
                "       domains: [" + String.join(", ", TrainFixtures.DOMAINS) + "], eval_windows_per_domain: 8}",
                "optimizer: {lr: 3.0e-3, min_lr: 3.0e-4, warmup_steps: 4}",
                "train: {steps: " + steps + "}",
                "eval: {interval: " + steps / 4 + ", final_windows_per_domain: 64}",
                "checkpoint: {interval: " + steps + "}",
                "mixing: {method: static, static: {source: uniform}}",
                ""), StandardCharsets.UTF_8);
        return file;
    }

    Path writeStudy(String name, int seeds, String runs) throws IOException {
        Path f = dir.resolve(name + ".yaml");
        Files.writeString(f, String.join("\n",
                "data: {prepared: " + TrainFixtures.data() + "}",
                "seeds: " + seeds,
                "seed: 11",
                "baseline: uniform",
                runs,
                ""), StandardCharsets.UTF_8);
        return f;
    }

    @Test void worseCopyIsResolvedAndTheNoiseFloorIsNot() throws IOException {
        writeRunConfig(dir.resolve("run.yaml"), 40);
        Path study = writeStudy("paired", 3, String.join("\n",
                "noise_floor: resampled",
                "runs:",
                "  - {name: uniform, config: run.yaml}",
                "  - {name: half-lr, config: run.yaml, set: {optimizer.lr: 1.5e-3}}",
                // The floor is noise: for ~5% of seeds and streams a 95% interval excludes 0 by chance (offset 1 with seeds
                // 11..13 does: +3.7% [+0.9, +6.5]). This stream's interval holds 0 by a wide margin on any CPU, so the test
                // checks the report's logic and the paired design, not luck.
                "  - {name: resampled, config: run.yaml, set: {run.sampler_seed_offset: 2}}"));
        Path out = dir.resolve("out");
        TrainFixtures.CliResult r = TrainFixtures.cli("study", study.toString(), "--out", out.toString());
        assertEquals(0, r.rc(), r.all());
        JsonNode rep = Mappers.JSON.readTree(out.resolve("report/report.json").toFile());
        JsonNode half = row(rep, "half-lr"), floor = row(rep, "resampled");
        assertEquals(3, half.get("seeds").asInt());
        assertEquals("worse", half.get("finding").asText(), r.out());
        assertTrue(half.at("/delta/lo").asDouble() > 0, half.toString());
        assertTrue(half.get("evalSe").asDouble() > 0 && half.get("evalSe").asDouble() < half.at("/delta/mean").asDouble(), half.toString());
        assertEquals("not resolved", floor.get("finding").asText(), r.out());
        assertTrue(floor.at("/delta/lo").asDouble() < -1 && floor.at("/delta/hi").asDouble() > 1, floor.toString());
        assertEquals("resampled", rep.at("/floor/name").asText());
        String md = Files.readString(out.resolve("report/report.md"));
        assertTrue(md.contains("**Noise floor** (`resampled`"), md);
        assertTrue(Files.isRegularFile(out.resolve("report/report.html")));
        // Seed s of every run starts from the same weights and scores the same windows: the paired design.
        JsonNode a = TrainFixtures.records(TrainFixtures.metrics(out.resolve("seed-2/uniform")), "eval").get(0);
        JsonNode b = TrainFixtures.records(TrainFixtures.metrics(out.resolve("seed-2/half-lr")), "eval").get(0);
        JsonNode c = TrainFixtures.records(TrainFixtures.metrics(out.resolve("seed-3/uniform")), "eval").get(0);
        assertEquals(a.get("loss"), b.get("loss"));
        assertNotEquals(a.get("loss"), c.get("loss"));

        // Rerun: everything is complete, nothing trains, the same report.
        TrainFixtures.CliResult again = TrainFixtures.cli("study", study.toString(), "--out", out.toString());
        assertEquals(0, again.rc(), again.all());
        assertTrue(again.out().contains("half-lr (seed 3): already complete"), again.out());
        assertEquals(md, Files.readString(out.resolve("report/report.md")));

        // The study changed under a finished run: refused before anything runs, naming the run and the key.
        Files.writeString(study, Files.readString(study).replace("optimizer.lr: 1.5e-3", "optimizer.lr: 1.0e-3"));
        byte[] before = Files.readAllBytes(out.resolve("seed-1/half-lr/metrics.jsonl"));
        TrainFixtures.CliResult changed = TrainFixtures.cli("study", study.toString(), "--out", out.toString());
        assertEquals(1, changed.rc());
        assertTrue(changed.err().contains("half-lr (seed 1) in " + out.resolve("seed-1/half-lr")) && changed.err().contains("optimizer.lr: 0.0015 vs 0.001"),
                changed.err());
        assertTrue(changed.err().contains("nothing was run"), changed.err());
        assertEquals(new String(before), Files.readString(out.resolve("seed-1/half-lr/metrics.jsonl")));
    }

    @Test void collectOnRunsTrainedByHandGivesTheStudysReport() throws IOException {
        Path cfg = writeRunConfig(dir.resolve("run.yaml"), 12);
        Path study = writeStudy("collect", 2, String.join("\n",
                "runs:",
                "  - {name: uniform, config: run.yaml}",
                "  - {name: half-lr, config: run.yaml, set: {optimizer.lr: 1.5e-3}}"));
        Path a = dir.resolve("a"), b = dir.resolve("b");
        TrainFixtures.CliResult r = TrainFixtures.cli("study", study.toString(), "--out", a.toString());
        assertEquals(0, r.rc(), r.all());
        // The same runs with `acodm train`, as a user without the study would start them.
        for (int s = 1; s <= 2; s++)
            for (String name : List.of("uniform", "half-lr")) {
                List<String> args = new ArrayList<>(List.of("train", "--config", cfg.toString(), "--out", b.resolve("seed-" + s).resolve(name).toString(),
                        "--set", "run.name=" + name, "--set", "run.seed=" + (10 + s), "--set", "data.path=" + TrainFixtures.data()));
                if (name.equals("half-lr")) args.addAll(List.of("--set", "optimizer.lr=1.5e-3"));
                TrainFixtures.CliResult t = TrainFixtures.cli(args.toArray(new String[0]));
                assertEquals(0, t.rc(), t.all());
            }
        TrainFixtures.CliResult c = TrainFixtures.cli("study", study.toString(), "--out", b.toString(), "--collect");
        assertEquals(0, c.rc(), c.all());
        assertEquals(Files.readString(a.resolve("report/report.md")), Files.readString(b.resolve("report/report.md")));
        assertEquals(Mappers.JSON.readTree(a.resolve("report/report.json").toFile()), Mappers.JSON.readTree(b.resolve("report/report.json").toFile()));

        // A missing seed is listed as left out, and the comparison uses the seeds there are.
        org.acodm.io.Directories.deleteTree(b.resolve("seed-2/half-lr"));
        TrainFixtures.CliResult partial = TrainFixtures.cli("study", study.toString(), "--out", b.toString(), "--collect");
        assertEquals(0, partial.rc(), partial.all());
        String md = Files.readString(b.resolve("report/report.md"));
        assertTrue(md.contains("half-lr (seed 2): not run in " + b.resolve("seed-2/half-lr")), md);
        assertEquals(1, row(Mappers.JSON.readTree(b.resolve("report/report.json").toFile()), "half-lr").get("seeds").asInt());
        assertEquals("1 seed: no interval", row(Mappers.JSON.readTree(b.resolve("report/report.json").toFile()), "half-lr").get("finding").asText());
    }

    @Test void dryRunMeasuresAStepAndTrainsNothing() throws IOException {
        writeRunConfig(dir.resolve("run.yaml"), 20);
        Path study = writeStudy("dry", 2, String.join("\n", "runs:", "  - {name: uniform, config: run.yaml}",
                "  - {name: other, config: run.yaml, set: {optimizer.lr: 1.0e-3}}"));
        Path out = dir.resolve("out");
        TrainFixtures.CliResult r = TrainFixtures.cli("study", study.toString(), "--out", out.toString(), "--dry-run");
        assertEquals(0, r.rc(), r.all());
        assertTrue(r.out().matches("(?s).*uniform +static +tiny +20 +[0-9.]+ +[0-9.]+  to run, to run.*"), r.out());
        assertTrue(r.out().contains("estimated time for what is left:"), r.out());
        assertFalse(Files.exists(out));
    }

    static JsonNode row(JsonNode report, String name) {
        for (JsonNode r : report.get("compared")) if (r.get("name").asText().equals(name)) return r;
        throw new AssertionError("no row " + name + " in " + report);
    }
}
