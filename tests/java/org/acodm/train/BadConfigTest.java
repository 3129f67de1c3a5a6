package org.acodm.train;

import static org.acodm.train.TrainFixtures.DOMAINS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.acodm.mixing.AcOdmConfig;
import org.acodm.mixing.AcOdmPolicy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bad config fails `acodm train` before the first step, with one message that names the key (and the file line
 * or the --set that wrote it) and what is wrong with it; the run directory gets no metrics.
 */
class BadConfigTest {
    @TempDir static Path dir;
    static Path actor;

    /** An actor exported for {@link TrainFixtures#DOMAINS} (untrained: only its metadata matters here). */
    @BeforeAll static void exportActor() {
        actor = dir.resolve("actor.pt");
        double[] uniform = new double[DOMAINS.size()];
        Arrays.fill(uniform, 1.0 / DOMAINS.size());
        try (AcOdmPolicy p = new AcOdmPolicy(DOMAINS, AcOdmConfig.defaults().withNetworks(16, 1).withDevice("cpu"), 8, 1, uniform)) {
            p.exportActor(actor);
        }
    }

    @Test void unknownKeyNamesTheKeyAndItsLine() throws IOException {
        Path cfg = config("unknown-key", "  method: static");
        insertAfter(cfg, "  warmup_steps: 2", "  lr_decay: cosine");
        String err = failsBeforeTraining(cfg, "unknown-key");
        assertTrue(err.contains(cfg + ":" + lineOf(cfg, "  lr_decay: cosine") + ": "), err);
        assertTrue(err.contains("optimizer.lr_decay"), err);
    }

    @Test void unknownKeyOfTheMethodsSettings() throws IOException {
        Path cfg = config("unknown-acodm-key", "  method: acodm\n  acodm:\n    hiden: 32");
        String err = failsBeforeTraining(cfg, "unknown-acodm-key");
        assertTrue(err.contains(cfg + ":" + lineOf(cfg, "    hiden: 32") + ": "), err);
        assertTrue(err.contains("mixing.acodm.hiden"), err);
        assertTrue(err.contains("hidden"), "the message should suggest the key meant: " + err);
    }

    @Test void wrongTypesNameTheKeyInTheFileAndInASet() throws IOException {
        Path cfg = config("wrong-type", "  method: static");
        Files.writeString(cfg, Files.readString(cfg).replace("  steps: 8\n", "  steps: many\n"));
        String err = failsBeforeTraining(cfg, "wrong-type", "--set", "data.batch_size=four");
        // Every error at once: the file's and the override's.
        assertTrue(err.contains(cfg + ":" + lineOf(cfg, "  steps: many")), err);
        assertTrue(err.contains("train.steps") && err.contains("many"), err);
        assertTrue(err.contains("--set data.batch_size=four") && err.contains("data.batch_size"), err);
    }

    @Test void staticWeightsNamingAnUnknownDomain() throws IOException {
        Path cfg = config("bogus-weights", "  method: static\n  static:\n    weights: {Bible: 1, Emails: 1, Github-C: 1, Bogus: 1}");
        String err = failsBeforeTraining(cfg, "bogus-weights");
        assertTrue(err.contains(cfg + ":" + lineOf(cfg, "    weights: {Bible") + ": mixing.static.weights"), err);
        assertTrue(err.contains("unknown domains [Bogus]"), err);
        assertTrue(err.contains("missing domains [Metamath]"), err);
    }

    @Test void weightsThatContradictAnExplicitSource() throws IOException {
        Path cfg = config("contradiction", "  method: static\n  static:\n    source: natural\n    weights: {Bible: 1, Emails: 1, Github-C: 1, Metamath: 1}");
        String err = failsBeforeTraining(cfg, "contradiction");
        assertTrue(err.contains("mixing.static.weights is set but mixing.static.source is natural"), err);
    }

    @Test void dataDomainsNamingAnUnknownDomain() throws IOException {
        Path cfg = config("unknown-domain", "  method: static");
        String err = failsBeforeTraining(cfg, "unknown-domain", "--set", "data.domains=[Bible, Klingon, Emails]");
        assertTrue(err.contains("--set data.domains=[Bible, Klingon, Emails]: data.domains names [Klingon] not in"), err);
    }

    @Test void missingDataNamesDataPath() throws IOException {
        Path cfg = config("no-data", "  method: static");
        String err = failsBeforeTraining(cfg, "no-data", "--set", "data.path=" + dir.resolve("nothing-here"));
        assertTrue(err.contains("data.path '" + dir.resolve("nothing-here") + "' has no manifest.json"), err);
    }

    @Test void frozenActorExportedForOtherDomains() throws IOException {
        Path cfg = config("other-domains", "  method: frozen_actor\n  frozen_actor:\n    actor: " + actor);
        String err = failsBeforeTraining(cfg, "other-domains", "--set", "data.domains=[Bible, Emails, Github-C, ManPages]");
        assertTrue(err.contains(cfg + ":" + lineOf(cfg, "    actor: ") + ": mixing.frozen_actor.actor '" + actor + "'"), err);
        assertTrue(err.contains("only in this run: [ManPages]") && err.contains("only in the actor: [Metamath]"), err);

        // The same names in another order are other domains too: the actor's outputs are positional.
        err = failsBeforeTraining(cfg, "reordered", "--set", "data.domains=[Emails, Bible, Github-C, Metamath]");
        assertTrue(err.contains("same names in another order, first at position 0 ('Emails' vs 'Bible')"), err);
    }

    @Test void frozenActorThatIsNotThere() throws IOException {
        Path cfg = config("no-actor", "  method: frozen_actor\n  frozen_actor:\n    actor: " + dir.resolve("runs/never-trained"));
        String err = failsBeforeTraining(cfg, "no-actor");
        assertTrue(err.contains("mixing.frozen_actor.actor '" + dir.resolve("runs/never-trained") + "'"), err);
    }

    /** Four domains but four windows per step: one more domain than draws makes force_each_domain impossible. */
    @Test void forceEachDomainWithFewerDrawsThanDomains() throws IOException {
        Path cfg = config("forced", "  method: static");
        String err = failsBeforeTraining(cfg, "forced", "--set", "data.force_each_domain=true",
                "--set", "data.domains=[Bible, Emails, Github-C, Metamath, ManPages]");
        assertTrue(err.contains("--set data.force_each_domain=true: data.force_each_domain gives each of the 5 domains one of the step's 4 domain draws"), err);
        assertTrue(err.contains("raise it to at least 5"), err);
    }

    @Test void aPriorWithAZeroWeight() throws IOException {
        Path cfg = config("zero-prior", "  method: alignment\n  alignment:\n    prior_weights: {Bible: 1, Emails: 1, Github-C: 1, Metamath: 0}");
        String err = failsBeforeTraining(cfg, "zero-prior");
        assertTrue(err.contains("mixing.alignment.prior_source") && err.contains("must all be > 0") && err.contains("[Metamath]"), err);
    }

    private static Path config(String name, String mixing) throws IOException {
        return TrainFixtures.writeConfig(dir.resolve(name + ".yaml"), name, mixing);
    }

    /** Runs `acodm train`, expects exit 1 and no step or eval record; returns the error output. */
    private static String failsBeforeTraining(Path cfg, String name, String... sets) throws IOException {
        Path run = dir.resolve("runs").resolve(name);
        List<String> args = new ArrayList<>(List.of("train", "--config", cfg.toString(), "--out", run.toString()));
        args.addAll(List.of(sets));
        TrainFixtures.CliResult r = TrainFixtures.cli(args.toArray(new String[0]));
        assertEquals(1, r.rc(), r.all());
        assertTrue(r.err().startsWith("acodm: "), "one clear line, not a stack trace: " + r.err());
        assertFalse(r.err().contains("\tat "), r.err());
        assertFalse(Files.exists(run.resolve("metrics.jsonl")), "a run that failed its config wrote metrics");
        assertFalse(Files.exists(run.resolve("checkpoints")));
        return r.err();
    }

    private static void insertAfter(Path file, String line, String inserted) throws IOException {
        String text = Files.readString(file);
        assertTrue(text.contains(line + "\n"), line);
        Files.writeString(file, text.replace(line + "\n", line + "\n" + inserted + "\n"));
    }

    /** 1-based line of the first line starting with {@code prefix}. */
    private static int lineOf(Path file, String prefix) throws IOException {
        List<String> lines = Files.readAllLines(file);
        for (int i = 0; i < lines.size(); i++) if (lines.get(i).startsWith(prefix)) return i + 1;
        throw new AssertionError(prefix + " not in " + file);
    }
}
