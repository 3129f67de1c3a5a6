package org.acodm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.acodm.config.Mappers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, case 7: a data directory prepared again from another corpus (same domain names, other documents) under a
 * finished run. `eval` and `train --resume` refuse it, naming what changed, instead of scoring or training on data the
 * run never saw; the same prepare run again (the data the run trained on) is accepted.
 */
class DataChangedTest {
    @TempDir Path dir;

    /** A small Pile-layout corpus of the four test domains; {@code seed} decides the words. */
    private Path corpus(String name, long seed) throws IOException {
        Random r = new Random(seed);
        String[] words = {"alpha", "beta", "gamma", "delta", "proof", "mail", "int", "void", "light", "verse", "theorem", "reply"};
        for (String split : new String[] {"train", "val"}) {
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < (split.equals("train") ? 160 : 40); i++) {
                StringBuilder sb = new StringBuilder();
                for (int w = 0; w < 40; w++) sb.append(words[r.nextInt(words.length)]).append(' ');
                var o = Mappers.JSON.createObjectNode();
                o.put("text", sb.toString());
                o.putObject("meta").put("pile_set_name", TrainFixtures.DOMAINS.get(i % TrainFixtures.DOMAINS.size()));
                lines.add(o.toString());
            }
            Path f = dir.resolve(name).resolve(split + ".jsonl");
            Files.createDirectories(f.getParent());
            Files.write(f, lines, StandardCharsets.UTF_8);
        }
        return dir.resolve(name);
    }

    private TrainFixtures.CliResult prepare(Path corpus, Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("prepare", "--tokenizer", "byte", "--quiet", "--out", out.toString(),
                "--input", "train=" + corpus.resolve("train.jsonl"), "--input", "val=" + corpus.resolve("val.jsonl")));
        args.addAll(List.of(extra));
        return TrainFixtures.cli(args.toArray(new String[0]));
    }

    @Test void evalAndResumeRefuseDataPreparedAgainFromAnotherCorpus() throws IOException {
        Path data = dir.resolve("shards"), first = corpus("first", 1), second = corpus("second", 2);
        assertEquals(0, prepare(first, data).rc());
        Path cfg = TrainFixtures.writeConfig(dir.resolve("static.yaml"), "data-changed", "  method: static");
        Files.writeString(cfg, Files.readString(cfg).replace("  path: " + TrainFixtures.data() + "\n", "  path: " + data + "\n"));
        Path run = TrainFixtures.train(cfg, dir.resolve("run"), "--max-steps", "6");
        assertEquals(0, TrainFixtures.cli("eval", "--run", run.toString()).rc());

        TrainFixtures.CliResult p = prepare(second, data, "--overwrite");
        assertEquals(0, p.rc(), p.all());
        TrainFixtures.CliResult e = TrainFixtures.cli("eval", "--run", run.toString());
        assertEquals(1, e.rc(), e.all());
        assertTrue(e.err().contains("acodm: " + data + " is not the data checkpoint " + run.resolve("checkpoints").resolve(Checkpoints.name(6))
                + " was trained on: it was prepared again since, and the documents (same tokenizer and domains, other token counts) differ"), e.err());
        TrainFixtures.CliResult t = TrainFixtures.cli("train", "--config", cfg.toString(), "--out", run.toString(), "--resume");
        assertEquals(1, t.rc(), t.all());
        assertTrue(t.err().contains("was trained on other data than " + data + " holds now"), t.err());

        // Prepared again from the corpus it trained on: the same data, accepted.
        assertEquals(0, prepare(first, data, "--overwrite").rc());
        assertEquals(0, TrainFixtures.cli("eval", "--run", run.toString()).rc());
    }
}
