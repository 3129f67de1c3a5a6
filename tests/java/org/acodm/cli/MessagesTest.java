package org.acodm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.acodm.train.TrainFixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, case 8: misuse that used to get a bare Java message (an exception's class name, "Input length = 2", a
 * path alone, a zip reader's complaint) or none at all now gets a sentence saying what is wrong and where.
 */
class MessagesTest {
    @TempDir static Path dir;
    static Path config;
    static Path run;

    @BeforeAll static void trainOne() throws IOException {
        config = TrainFixtures.writeConfig(dir.resolve("static.yaml"), "messages", "  method: static");
        run = TrainFixtures.train(config, dir.resolve("run"), "--max-steps", "2");
    }

    private static String fails(String... args) {
        TrainFixtures.CliResult r = TrainFixtures.cli(args);
        assertEquals(1, r.rc(), r.all());
        assertFalse(r.err().contains("Exception"), "a Java exception name reached the user:\n" + r.err());
        return r.err();
    }

    @Test void aConfigThatIsNotUtf8NamesTheLineAndTheByte() throws IOException {
        Path latin1 = dir.resolve("latin1.yaml");
        Files.write(latin1, "run:\n  name: caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
        String err = fails("train", "--config", latin1.toString(), "--dry-run");
        assertTrue(err.contains("acodm: " + latin1 + ":2: not UTF-8 text: byte 0xE9 at offset 16 is not valid UTF-8"), err);

        Path binary = dir.resolve("binary.yaml");
        Files.write(binary, new byte[] {'r', 'u', 'n', ':', 0, 1, 2, '\n'});
        err = fails("train", "--config", binary.toString(), "--dry-run");
        assertTrue(err.contains("acodm: " + binary + ":1: control character U+0000 at character 4: this is not a text file"), err);
    }

    @Test void anOutThatIsAFileIsNamedAsSuch() throws IOException {
        Path file = Files.writeString(dir.resolve("not-a-dir"), "x");
        String err = fails("train", "--config", config.toString(), "--out", file.toString());
        assertTrue(err.contains("acodm: " + file + " exists and is a file, not a directory"), err);
    }

    @Test void aMissingWeightFileNamesTheKey() throws IOException {
        Path cfg = TrainFixtures.writeConfig(dir.resolve("weights.yaml"), "weights", "  method: static\n  static:\n    file: no-such-weights.yaml");
        String err = fails("train", "--config", cfg.toString(), "--out", dir.resolve("w").toString());
        assertTrue(err.contains("mixing.static.file: no-such-weights.yaml: no such weight map (relative to "), err);
    }

    @Test void evalOfADirectoryThatIsNoRunSaysSo() throws IOException {
        Path notARun = Files.createDirectories(dir.resolve("just-a-folder"));
        String err = fails("eval", "--run", notARun.toString());
        assertTrue(err.contains("acodm: --run " + notARun + " is not a run directory (it has no config.yaml or run.json;"), err);
    }

    @Test void exportOfADirectoryAndTokenIdsOutsideTheVocabulary() {
        Path ckpt = run.resolve("checkpoints/step-000000002");
        String err = fails("export", "hf", "--checkpoint", ckpt.toString(), "--config", "tiny", "--out", dir.resolve("hf").toString());
        assertTrue(err.contains("acodm: --checkpoint " + ckpt + " is a directory; pass a model checkpoint file, e.g. " + ckpt.resolve("model.ckpt")), err);

        err = fails("export", "hf", "--checkpoint", ckpt.resolve("model.ckpt").toString(), "--config", "tiny", "--out", dir.resolve("hf").toString(),
                "--bos-token-id", "99999");
        assertTrue(err.contains("acodm: --bos-token-id 99999 is outside the model's vocabulary [0, 384)"), err);
        assertFalse(Files.exists(dir.resolve("hf/model.safetensors")));
    }
}
