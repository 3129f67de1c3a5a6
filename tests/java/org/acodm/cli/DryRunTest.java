package org.acodm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.acodm.config.Mappers;
import org.acodm.data.Manifest;
import org.acodm.data.Split;
import org.acodm.engine.TestPaths;
import org.acodm.train.TrainFixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `acodm train --dry-run` prints the plan of the paper's runs (410M proxy, 1B targets) on a machine without a GPU,
 * without The Pile and without allocating a model: without data it plans from the config alone and says the data
 * is missing; with a prepared corpus of the 22 Pile domain names it also resolves domains and initial weights.
 */
class DryRunTest {
    static final List<String> PILE = List.of("Pile-CC", "PubMed Central", "Books3", "OpenWebText2", "ArXiv", "Github", "FreeLaw",
            "StackExchange", "USPTO Backgrounds", "PubMed Abstracts", "Gutenberg (PG-19)", "OpenSubtitles", "Wikipedia (en)",
            "DM Mathematics", "Ubuntu IRC", "BookCorpus2", "EuroParl", "HackerNews", "YoutubeSubtitles", "PhilPapers", "NIH ExPorter",
            "Enron Emails");

    @TempDir static Path dir;
    static Path fakePile;

    /** A few kilobytes of text under each of The Pile's 22 domain names, prepared with the byte tokenizer. */
    @BeforeAll static void prepareFakePile() throws IOException {
        Path corpus = dir.resolve("fake-pile");
        Random r = new Random(22);
        for (String split : new String[] {"train/00.jsonl", "val.jsonl", "test.jsonl"}) {
            List<String> lines = new ArrayList<>();
            for (String d : PILE)
                for (int doc = 0; doc < 3; doc++) {
                    StringBuilder text = new StringBuilder();
                    while (text.length() < 1500) text.append("w").append(r.nextInt(500)).append(' ');
                    lines.add(Mappers.JSON.createObjectNode().put("text", text.toString())
                            .set("meta", Mappers.JSON.createObjectNode().put("pile_set_name", d)).toString());
                }
            Files.createDirectories(corpus.resolve(split).getParent());
            Files.write(corpus.resolve(split), lines);
        }
        fakePile = dir.resolve("fake-pile-byte");
        TrainFixtures.CliResult r2 = TrainFixtures.cli("prepare", "--quiet", "--min-domain-tokens", "0", "--tokenizer", "byte", "--input", corpus.toString(),
                "--out", fakePile.toString());
        assertEquals(0, r2.rc(), r2.all());
    }

    private static String dryRun(String config, String... sets) {
        List<String> args = new ArrayList<>(List.of("train", "--dry-run", "--config", TestPaths.root().resolve(config).toString(),
                "--out", dir.resolve("runs").toString()));
        for (String s : sets) args.addAll(List.of("--set", s));
        TrainFixtures.CliResult r = TrainFixtures.cli(args.toArray(new String[0]));
        assertEquals(0, r.rc(), r.all());
        assertFalse(Files.exists(dir.resolve("runs")), "a dry run writes nothing");
        return r.out();
    }

    @Test void paperConfigsPlanWithoutTheirData() {
        String missing = dir.resolve("no-pile-here").toString();
        String[][] runs = {
                {"configs/paper/acodm-410m-proxy.yaml", "410m (24 layers, d_model 1024, 16 heads, vocabulary 50304, context 2048) (405,334,016 parameters)", "acodm"},
                {"configs/paper/acodm-1b-target.yaml", "1b (16 layers, d_model 2048, 8 heads, vocabulary 50304, context 2048) (1,011,781,632 parameters)", "frozen_actor"},
                {"configs/paper/odm-1b.yaml", "(1,011,781,632 parameters)", "odm"},
                {"configs/paper/pile-weights-1b.yaml", "(1,011,781,632 parameters)", "static"}};
        for (String[] run : runs) {
            String out = dryRun(run[0], "data.path=" + missing);
            assertTrue(out.contains(run[1]), run[0] + ":\n" + out);
            assertTrue(out.contains("method      " + run[2] + "\n"), out);
            // 41,667 steps of 1,152 sequences of 1,024 tokens: ~49B tokens, as the released configs.
            assertTrue(out.contains("41,667 x 1152 windows x 1024 tokens = 1,179,648 tokens per step, 49,152,393,216 in all"), out);
            assertTrue(out.contains("note        data: " + missing + " holds no prepared data"), out);
        }
    }

    @Test void pileWeightsPlanUsesThePublishedProportions() throws IOException {
        String out = dryRun("configs/paper/pile-weights-1b.yaml", "data.path=" + fakePile);
        // The fake Pile holds a few KB per domain, far less than one step of 1,152 windows: the one note says so.
        List<String> notes = out.lines().filter(l -> l.startsWith("note ")).toList();
        assertEquals(1, notes.size(), out);
        assertTrue(notes.get(0).startsWith("note        22 domains have fewer training tokens than one step's 1152 windows of 1025 tokens "
                + "(1,180,800): ArXiv ("), out);
        // The map in the config (no 'source:' key) is what the run uses, not uniform weights.
        long tokens = 41_667L * 1_179_648L;
        for (String[] w : new String[][] {{"Pile-CC", "0.1811"}, {"Gutenberg (PG-19)", "0.0217"}, {"Enron Emails", "0.0014"}}) {
            Matcher m = Pattern.compile("\n  " + Pattern.quote(w[0]) + " +" + w[1] + " +([0-9,]+)\n").matcher(out);
            assertTrue(m.find(), w[0] + " " + w[1] + ":\n" + out);
            // expected tokens = weight / (sum of the map) * all tokens; the published map sums to 1
            assertEquals(Math.round(Double.parseDouble(w[1]) * tokens), Long.parseLong(m.group(1).replace(",", "")), 1000, w[0]);
        }
    }

    @Test void proxyAndTargetPlansWithData() {
        String out = dryRun("configs/paper/acodm-410m-proxy.yaml", "data.path=" + fakePile);
        for (String d : PILE) assertTrue(out.contains(String.format(Locale.ROOT, "  %-28s %6.4f", d, 1.0 / 22)), d + ":\n" + out);
        // The target's actor is the proxy's, not trained yet: the plan says so instead of failing.
        out = dryRun("configs/paper/acodm-1b-target.yaml", "data.path=" + fakePile, "mixing.frozen_actor.actor=" + dir.resolve("no-proxy-yet"));
        assertTrue(out.contains("note        actor: " + dir.resolve("no-proxy-yet") + " does not exist yet"), out);
    }

    @Test void demoNaturalWeightsComeFromTheManifest() throws IOException {
        Path data = TrainFixtures.data();
        String out = dryRun("configs/demo/static-natural-target.yaml", "data.path=" + data);
        Manifest m = Manifest.read(data);
        long total = m.split(Split.TRAIN).values().stream().mapToLong(Manifest.DomainStats::tokens).sum();
        for (String d : m.domains()) {
            double w = (double) m.split(Split.TRAIN).get(d).tokens() / total;
            assertTrue(out.contains(String.format(Locale.ROOT, "  %-28s %6.4f", d, w)), d + " " + w + ":\n" + out);
        }
    }

    @Test void aDryRunStillRefusesABadConfig() {
        TrainFixtures.CliResult r = TrainFixtures.cli("train", "--dry-run", "--config", TestPaths.root().resolve("configs/paper/odm-1b.yaml").toString(),
                "--set", "model.config=2b", "--set", "data.path=" + dir.resolve("none"));
        assertEquals(1, r.rc(), r.all());
        assertTrue(r.err().contains("--set model.config=2b: model.config: unknown model config '2b'"), r.err());
        r = TrainFixtures.cli("train", "--dry-run", "--config", TestPaths.root().resolve("configs/paper/odm-1b.yaml").toString(),
                "--set", "data.seq_len=4096", "--set", "data.path=" + dir.resolve("none"));
        assertEquals(1, r.rc(), r.all());
        assertTrue(r.err().contains("data.seq_len 4096 exceeds the context of model '1b' (2048)"), r.err());
    }
}
