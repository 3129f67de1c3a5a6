package org.acodm.train.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.acodm.config.ConfigException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A study file is checked before anything runs; every error names the study file and line (or the run config's). */
class StudyPlanTest {
    @TempDir Path dir;

    @BeforeEach void configs() throws IOException {
        Files.writeString(dir.resolve("static.yaml"), String.join("\n", "model: {config: tiny}", "data: {path: x, seq_len: 16}",
                "train: {steps: 10}", "optimizer: {warmup_steps: 2}", "mixing: {method: static}", ""));
        Files.writeString(dir.resolve("acodm.yaml"), String.join("\n", "model: {config: tiny}", "data: {path: x, seq_len: 16}",
                "train: {steps: 10}", "optimizer: {warmup_steps: 2}", "mixing: {method: acodm}", ""));
        Files.writeString(dir.resolve("frozen.yaml"), String.join("\n", "model: {config: tiny}", "data: {path: x, seq_len: 16}",
                "train: {steps: 10}", "optimizer: {warmup_steps: 2}", "mixing: {method: frozen_actor, frozen_actor: {actor: somewhere}}", ""));
    }

    Path study(String... lines) throws IOException {
        Path f = dir.resolve("s.yaml");
        Files.writeString(f, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        return f;
    }

    String error(Path f) {
        ConfigException e = assertThrows(ConfigException.class, () -> StudyPlan.load(f, dir.resolve("out"), null, List.of()));
        return e.getMessage();
    }

    @Test void aGoodStudyResolvesEveryRunAndSeed() throws IOException {
        Path f = study("data: {prepared: prep}", "seeds: 2", "seed: 100", "baseline: base", "noise_floor: floor",
                "set: {train.steps: 6}",
                "runs:",
                "  - {name: proxy, config: acodm.yaml}",
                "  - {name: transfer, config: frozen.yaml, actor_from: proxy}",
                "  - {name: base, config: static.yaml}",
                "  - {name: floor, config: static.yaml, set: {run.sampler_seed_offset: 3}}");
        StudyPlan p = StudyPlan.load(f, dir.resolve("out"), null, List.of("optimizer.lr=1e-3"));
        assertEquals(8, p.jobs().size());
        StudyPlan.Job t = p.job("transfer", 2);
        assertEquals(101, t.config().run().seed());
        assertEquals("transfer", t.config().run().name());
        assertEquals("prep", t.config().data().path());
        assertEquals(6, t.config().train().steps());
        assertEquals(1e-3, t.config().optimizer().lr());
        assertEquals(dir.resolve("out/seed-2/transfer"), t.dir());
        assertEquals("proxy", t.dependsOn());
        assertEquals(dir.resolve("out/seed-2/proxy").toString(), t.tree().node("mixing.frozen_actor.actor").orElseThrow().asText());
        assertEquals(3, p.job("floor", 1).config().run().samplerSeedOffset());
        // Seed-major: all of seed 1 before seed 2, in the study's order.
        assertEquals(List.of("proxy", "transfer", "base", "floor", "proxy", "transfer", "base", "floor"), p.jobs().stream().map(StudyPlan.Job::name).toList());
        List<List<StudyPlan.Job>> levels = SlurmArray.levels(p);
        assertEquals(2, levels.size());
        assertEquals(6, levels.get(0).size());
        assertEquals(2, levels.get(1).size());
    }

    @Test void studyErrorsNameTheFileAndLine() throws IOException {
        Path f = study("data: {prepared: prep}",             // 1
                "seeds: 0",                                    // 2
                "baseline: nobody",                            // 3
                "colour: blue",                                // 4
                "runs:",                                       // 5
                "  - {name: a, config: static.yaml}",          // 6
                "  - {name: a, config: static.yaml}",          // 7
                "  - {name: t, config: frozen.yaml, actor_from: later}", // 8
                "  - {name: later, config: acodm.yaml}",       // 9
                "  - {name: m, config: frozen.yaml, actor_from: ghost}"); // 10
        String e = error(f);
        assertTrue(e.contains(f + ":2: seeds: must be >= 1, got 0"), e);
        assertTrue(e.contains(f + ":3: baseline: names no run of this study: 'nobody'"), e);
        assertTrue(e.contains(f + ":4: unknown key 'colour'"), e);
        assertTrue(e.contains(f + ":7: runs[1].name: 'a' is already the name of runs[0]"), e);
        assertTrue(e.contains(f + ":8: runs[2].actor_from: 'later' is runs[3], which trains after this one"), e);
        assertTrue(e.contains(f + ":10: runs[4].actor_from: names no run of this study: 'ghost'"), e);
    }

    @Test void runConfigErrorsNameWhereTheValueCameFrom() throws IOException {
        Path f = study("data: {prepared: prep}", "baseline: a",
                "runs:",
                "  - {name: a, config: static.yaml, set: {optimizer.lr: -1}}",
                "  - {name: b, config: missing.yaml}",
                "  - {name: c, config: static.yaml, actor_from: a}",
                "  - {name: d, config: frozen.yaml}");
        String e = error(f);
        assertTrue(e.contains(f + ":4: optimizer.lr: must be > 0"), e);
        assertTrue(e.contains(f + ":5: runs[1].config: " + dir.resolve("missing.yaml") + " not found"), e);
        assertTrue(e.contains(f + ":6: runs[2].actor_from: run 'c' has mixing.method static; only a frozen_actor run loads"), e);
        assertTrue(e.contains(f + ":7: runs[3]: run 'd' is a frozen_actor run: name the study run whose actor it loads with actor_from"), e);
    }

    @Test void theNoiseFloorMustBeTheBaselineOnAnotherStream() throws IOException {
        String e = error(study("data: {prepared: prep}", "baseline: a", "noise_floor: b", "runs:", "  - {name: a, config: static.yaml}",
                "  - {name: b, config: static.yaml, set: {optimizer.lr: 1.0e-4, run.sampler_seed_offset: 1}}"));
        assertTrue(e.contains(":3: noise_floor: 'b' must be the baseline 'a' with another run.sampler_seed_offset and nothing else, but it differs at:")
                && e.contains("optimizer.lr"), e);
        e = error(study("data: {prepared: prep}", "baseline: a", "noise_floor: b", "runs:", "  - {name: a, config: static.yaml}",
                "  - {name: b, config: static.yaml}"));
        assertTrue(e.contains(":3: noise_floor: 'b' has the baseline's run.sampler_seed_offset (0), so it repeats the baseline exactly"), e);
    }

    @Test void slurmScriptsAreValidBashWithOneTaskPerRunAndSeed() throws Exception {
        Path f = study("data: {corpus: corp, prepared: prep}", "seeds: 3", "baseline: base",
                "runs:",
                "  - {name: proxy, config: acodm.yaml}",
                "  - {name: transfer, config: frozen.yaml, actor_from: proxy}",
                "  - {name: base, config: static.yaml}",
                "  - {name: 'odd name', config: static.yaml}");
        assertTrue(error(f).contains("runs[3].name: may use letters, digits and . _ + - only"));
        Files.writeString(f, Files.readString(f).replace("'odd name'", "other"));
        StudyPlan p = StudyPlan.load(f, dir.resolve("out"), null, List.of());
        Path slurm = dir.resolve("slurm dir");
        var inv = new SlurmArray.Invocation("/opt/acodm/bin/acodm", dir, f, dir.resolve("out"), 3, List.of("train.steps=5"), List.of(),
                List.of("--time=1:00:00"));
        List<Path> files = SlurmArray.write(p, inv, slurm);
        assertEquals(List.of("prepare.sbatch", "level-0.sbatch", "level-1.sbatch", "report.sbatch", "submit.sh"),
                files.stream().map(x -> x.getFileName().toString()).toList());
        for (Path x : files) {
            Process bash = new ProcessBuilder("bash", "-n", x.toString()).redirectErrorStream(true).start();
            String msg = new String(bash.getInputStream().readAllBytes());
            assertEquals(0, bash.waitFor(), x + ": " + msg);
        }
        String l0 = Files.readString(slurm.resolve("level-0.sbatch")), l1 = Files.readString(slurm.resolve("level-1.sbatch"));
        assertTrue(l0.contains("#SBATCH --array=0-8\n"), l0);   // proxy, base, other x 3 seeds
        assertTrue(l1.contains("#SBATCH --array=0-2\n"), l1);   // transfer x 3 seeds
        assertTrue(l1.contains("  2) run=transfer; seed=3 ;;"), l1);
        assertTrue(l0.contains("#SBATCH --time=1:00:00\n") && l0.contains("--set train.steps=5 --run \"$run\" --seed \"$seed\""), l0);
        String submit = Files.readString(slurm.resolve("submit.sh"));
        assertTrue(submit.contains("prepare=$(sbatch --parsable prepare.sbatch)"), submit);
        assertTrue(submit.contains("level0=$(sbatch --parsable --dependency=afterok:$prepare level-0.sbatch)"), submit);
        assertTrue(submit.contains("level1=$(sbatch --parsable --dependency=afterok:$level0 level-1.sbatch)"), submit);
        assertTrue(submit.contains("report=$(sbatch --parsable --dependency=afterany:$level0:$level1 report.sbatch)"), submit);
        assertTrue(Files.readString(slurm.resolve("report.sbatch")).contains(" --collect\n"));

        // The scripts run what they say: a fake sbatch records the chain in order.
        Path bin = Files.createDirectories(dir.resolve("fakebin"));
        Files.writeString(bin.resolve("sbatch"), "#!/usr/bin/env bash\necho \"$@\" >> \"$SBATCH_LOG\"\necho $((RANDOM + 100))\n");
        bin.resolve("sbatch").toFile().setExecutable(true);
        ProcessBuilder pb = new ProcessBuilder("bash", slurm.resolve("submit.sh").toString()).redirectErrorStream(true);
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        pb.environment().put("SBATCH_LOG", dir.resolve("sbatch.log").toString());
        Process run = pb.start();
        String printed = new String(run.getInputStream().readAllBytes());
        assertEquals(0, run.waitFor(), printed);
        List<String> calls = Files.readAllLines(dir.resolve("sbatch.log"));
        assertEquals(4, calls.size(), calls.toString());
        assertTrue(calls.get(2).matches("--parsable --dependency=afterok:[0-9]+ level-1.sbatch"), calls.toString());
    }
}
