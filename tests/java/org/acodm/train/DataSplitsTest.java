package org.acodm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.acodm.config.Mappers;
import org.acodm.data.CorpusSource;
import org.acodm.data.ShardPreparer;
import org.acodm.data.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19, items 2, 11 and 14 on the training side: data without val is refused when a run or an evaluation starts
 * (data prepared before prepare refused it), not at the first eval; a domain without val data is named wherever an
 * average leaves it out; a refused run leaves no lock file in a folder it does not own; a checkpoint of another run is
 * called that, not data "prepared again since".
 */
class DataSplitsTest {
    @TempDir Path dir;

    /** Pile-style train.jsonl of the four test domains and val.jsonl of {@code valDomains}; {@code seed} decides the words. */
    private Path corpus(String name, long seed, List<String> valDomains) throws IOException {
        Random r = new Random(seed);
        String[] words = {"alpha", "beta", "gamma", "delta", "proof", "mail", "int", "void", "light", "verse", "theorem", "reply"};
        for (String split : new String[] {"train", "val"}) {
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < (split.equals("train") ? 80 : 20); i++) {
                String domain = TrainFixtures.DOMAINS.get(i % TrainFixtures.DOMAINS.size());
                if (split.equals("val") && !valDomains.contains(domain)) continue;
                StringBuilder sb = new StringBuilder();
                for (int w = 0; w < 40; w++) sb.append(words[r.nextInt(words.length)]).append(' ');
                var o = Mappers.JSON.createObjectNode();
                o.put("text", sb.toString());
                o.putObject("meta").put("pile_set_name", domain);
                lines.add(o.toString());
            }
            Path f = dir.resolve(name).resolve(split + ".jsonl");
            Files.createDirectories(f.getParent());
            Files.write(f, lines, StandardCharsets.UTF_8);
        }
        return dir.resolve(name);
    }

    private static TrainFixtures.CliResult prepare(Path corpus, Path out) {
        return TrainFixtures.cli("prepare", "--tokenizer", "byte", "--quiet", "--out", out.toString(), "--input", "train=" + corpus.resolve("train.jsonl"),
                "--input", "val=" + corpus.resolve("val.jsonl"));
    }

    /** Train shards alone, as prepare wrote them before it refused inputs without val (the library still does, for benchmarks). */
    private static void prepareWithoutVal(Path corpus, Path out, boolean overwrite) throws IOException {
        try (Tokenizer t = Tokenizer.fromSpec("byte")) {
            ShardPreparer.prepare(CorpusSource.resolve(List.of("train=" + corpus.resolve("train.jsonl"))), t, out,
                    ShardPreparer.Options.defaults().withMinDomainTokens(0).withOverwrite(overwrite), ShardPreparer.Listener.NONE);
        }
    }

    private Path config(String name, Path data) throws IOException {
        Path cfg = TrainFixtures.writeConfig(dir.resolve(name + ".yaml"), name, "  method: static");
        Files.writeString(cfg, Files.readString(cfg).replace("  path: " + TrainFixtures.data() + "\n", "  path: " + data + "\n"));
        return cfg;
    }

    /** Every file under {@code root} with its bytes' hash code: what a refused command must leave as it was. */
    private static Map<String, Integer> contents(Path root) throws IOException {
        Map<String, Integer> m = new TreeMap<>();
        if (!Files.exists(root)) return m;
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) m.put(root.relativize(p).toString(), java.util.Arrays.hashCode(Files.readAllBytes(p)));
        }
        return m;
    }

    @Test void dataWithoutValIsRefusedWhenARunStartsAndByTheDryRun() throws IOException {
        Path data = dir.resolve("shards");
        prepareWithoutVal(corpus("c", 1, TrainFixtures.DOMAINS), data, false);
        Map<String, Integer> before = contents(data);
        Path cfg = config("noval", data), run = dir.resolve("run");
        String refusal = data + " holds no val split (" + data.resolve("manifest.json") + " lists train only): every run evaluates on val (at the "
                + "latest after its last step), and `eval` scores on it; prepare it again with the val file among the inputs (--input val=FILE)";

        TrainFixtures.CliResult r = TrainFixtures.cli("train", "--dry-run", "--config", cfg.toString(), "--out", run.toString());
        assertEquals(1, r.rc(), r.all());
        assertTrue(r.err().contains("acodm: " + refusal), r.all());
        r = TrainFixtures.cli("train", "--config", cfg.toString(), "--out", run.toString());
        assertEquals(1, r.rc(), r.all());
        assertTrue(r.err().contains("acodm: " + refusal), r.all());
        assertFalse(r.all().contains("non-finite"), "refused at the start, not at the first eval:\n" + r.all());
        assertFalse(Files.exists(run), "nothing of the run is written");
        assertEquals(before, contents(data));
    }

    @Test void evalRefusesDataWhoseValIsGoneAndNamesTheDomainsItsAveragesLeaveOut() throws IOException {
        // Metamath has no val documents: trained on, never evaluated.
        Path data = dir.resolve("shards"), corpus = corpus("c", 2, TrainFixtures.DOMAINS.subList(0, 3));
        assertEquals(0, prepare(corpus, data).rc());
        Path cfg = config("partial-val", data), run = dir.resolve("run");
        TrainFixtures.CliResult t = TrainFixtures.cli("train", "--config", cfg.toString(), "--out", run.toString(), "--max-steps", "2");
        assertEquals(0, t.rc(), t.all());
        assertTrue(t.out().contains("note        no val data for [Metamath]: they are trained on but never evaluated, and the average over "
                + "domains leaves them out"), t.out());

        TrainFixtures.CliResult e = TrainFixtures.cli("eval", "--run", run.toString());
        assertEquals(0, e.rc(), e.all());
        assertTrue(e.out().contains(String.format("%-28s %8d   (no val data: not in the average)", "Metamath", 0)), e.out());
        assertTrue(e.out().contains("average of 3 of 4"), e.out());
        assertTrue(e.out().contains("the averages leave out [Metamath], which have no val data in " + data), e.out());
        assertFalse(e.out().contains("NaN"), e.out());

        // The data prepared again without val (as prepare allowed before): eval refuses, naming the split, and prints no table.
        Map<String, Integer> runBefore = contents(run);
        prepareWithoutVal(corpus, data, true);
        e = TrainFixtures.cli("eval", "--run", run.toString());
        assertEquals(1, e.rc(), e.all());
        assertTrue(e.err().contains("acodm: " + data + " holds no val split ("), e.all());
        assertFalse(e.out().contains("average"), e.out());
        assertEquals(runBefore, contents(run));
    }

    @Test void aRunRefusedInADataDirectoryLeavesNoLockThere() throws IOException {
        Path data = dir.resolve("shards");
        assertEquals(0, prepare(corpus("c", 3, TrainFixtures.DOMAINS), data).rc());
        Map<String, Integer> before = contents(data);
        TrainFixtures.CliResult r = TrainFixtures.cli("train", "--config", config("into-data", data).toString(), "--out", data.toString());
        assertEquals(1, r.rc(), r.all());
        assertTrue(r.err().contains("acodm: " + data + " is not empty"), r.all());
        assertEquals(before, contents(data), "no " + RunDirectory.LOCK_FILE + " left behind");
    }

    @Test void aCheckpointOfAnotherRunIsCalledThat() throws IOException {
        Path dataA = dir.resolve("shards-a"), dataB = dir.resolve("shards-b");
        assertEquals(0, prepare(corpus("a", 4, TrainFixtures.DOMAINS), dataA).rc());
        assertEquals(0, prepare(corpus("b", 5, TrainFixtures.DOMAINS), dataB).rc());
        Path runA = TrainFixtures.train(config("a", dataA), dir.resolve("run-a"), "--max-steps", "2");
        Path runB = TrainFixtures.train(config("b", dataB), dir.resolve("run-b"), "--max-steps", "2");
        Path ckptB = runB.resolve("checkpoints/step-000000002");

        TrainFixtures.CliResult r = TrainFixtures.cli("eval", "--run", runA.toString(), "--checkpoint", ckptB.toString());
        assertEquals(1, r.rc(), r.all());
        assertTrue(r.err().contains("acodm: checkpoint " + ckptB + " is of another run, " + runB + ", not of --run " + runA
                + "; evaluate it with --run " + runB), r.all());
        assertFalse(r.all().contains("prepared again"), r.all());

        // Copied out of its run, it is recognised by the data it trained on.
        Path copy = dir.resolve("kept/step-000000002");
        Files.createDirectories(copy.getParent());
        try (Stream<Path> s = Files.walk(ckptB)) {
            for (Path p : s.toList()) {
                Path to = copy.resolve(ckptB.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(to); else Files.copy(p, to);
            }
        }
        r = TrainFixtures.cli("eval", "--run", runA.toString(), "--checkpoint", copy.toString());
        assertEquals(1, r.rc(), r.all());
        assertTrue(r.err().contains("acodm: checkpoint " + copy + " is not of run " + runA + ": it trained on other data than the run (the documents "
                + "(same tokenizer and domains, other token counts) differ); evaluate it with --run set to the run it comes from"), r.all());
        // The run's own checkpoint, named by its path, is evaluated.
        assertEquals(0, TrainFixtures.cli("eval", "--run", runA.toString(), "--checkpoint", runA.resolve("checkpoints/step-000000002").toString()).rc());
    }
}
