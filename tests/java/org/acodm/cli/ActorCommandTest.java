package org.acodm.cli;

import static org.acodm.train.TrainFixtures.DOMAINS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.acodm.engine.AgentNetworks;
import org.acodm.mixing.ActorExport;
import org.acodm.mixing.FrozenActorPolicy;
import org.acodm.train.TrainFixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `acodm actor export`: from a finished AC-ODM run, from any of its checkpoints, and from an unfinished run; the
 * exported file carries the metadata a frozen_actor run needs and, from the final checkpoint, the very actor the
 * run exported itself.
 */
class ActorCommandTest {
    @TempDir static Path dir;
    static Path run;

    @BeforeAll static void trainProxy() throws IOException {
        run = TrainFixtures.train(TrainFixtures.writeConfig(dir.resolve("acodm.yaml"), "proxy", TrainFixtures.ACODM), dir.resolve("proxy"));
    }

    @Test void fromAFinishedRunCopiesItsActor() throws IOException {
        Path out = dir.resolve("exports/from-run.pt");
        TrainFixtures.CliResult r = export("--run", run.toString(), "--out", out.toString());
        assertTrue(r.out().contains("trained 8 of 8 proxy steps; trends state of dimension 9 (K = 4); 2 hidden layers of 32"), r.out());
        assertTrue(r.out().contains("domains " + DOMAINS), r.out());
        assertEquals(-1, Files.mismatch(run.resolve(ActorExport.FILE_NAME), out));
        // Usable elsewhere: a frozen actor over the same domains loads it.
        try (FrozenActorPolicy p = new FrozenActorPolicy(out, DOMAINS, "cpu")) {
            assertEquals(8, p.export().stepsTrained());
        }
    }

    /** Issue 19, item 14: an existing --out (perhaps what a target run's mixing.frozen_actor.actor names) is replaced only when asked. */
    @Test void anExistingOutIsReplacedOnlyWithOverwrite() throws IOException {
        Path out = Files.writeString(dir.resolve("kept.pt"), "an actor a target run uses");
        TrainFixtures.CliResult r = TrainFixtures.cli("actor", "export", "--run", run.toString(), "--out", out.toString());
        assertEquals(1, r.rc(), r.all());
        assertTrue(r.err().contains("acodm: --out " + out + " exists; pass --overwrite to replace it, or choose another file. Nothing was written"),
                r.all());
        assertEquals("an actor a target run uses", Files.readString(out));
        r = TrainFixtures.cli("actor", "export", "--checkpoint", run.resolve("checkpoints/step-000000008").toString(), "--out", out.toString());
        assertEquals(1, r.rc(), r.all());
        assertEquals("an actor a target run uses", Files.readString(out));

        export("--run", run.toString(), "--out", out.toString(), "--overwrite");
        assertEquals(-1, Files.mismatch(run.resolve(ActorExport.FILE_NAME), out));
        try (var s = Files.list(dir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith("kept.pt.tmp")), "no temporary beside it");
        }
    }

    @Test void fromTheFinalCheckpointIsTheRunsOwnActor() throws IOException {
        Path out = dir.resolve("from-final.pt");
        export("--checkpoint", run.resolve("checkpoints/step-000000008").toString(), "--out", out.toString());
        assertEquals(ActorExport.read(run.resolve(ActorExport.FILE_NAME)), ActorExport.read(out));
        assertArrayEquals(act(run.resolve(ActorExport.FILE_NAME)), act(out));
        assertFalse(Files.exists(dir.resolve("from-final.pt.tmp")), "the temporary file is renamed into place");
    }

    @Test void fromAnEarlierCheckpointIsTheActorOfThatStep() throws IOException {
        Path out = dir.resolve("from-6.pt");
        TrainFixtures.CliResult r = export("--checkpoint", run.resolve("checkpoints/step-000000006").toString(), "--out", out.toString());
        assertTrue(r.out().contains("trained 6 of 8 proxy steps"), r.out());
        ActorExport meta = ActorExport.read(out);
        assertEquals(6, meta.stepsTrained());
        assertEquals(DOMAINS, meta.domains());
        // Two more DDPG updates separate it from the final actor.
        assertFalse(Arrays.equals(act(run.resolve(ActorExport.FILE_NAME)), act(out)));
    }

    @Test void fromAnUnfinishedRunUsesItsNewestCheckpoint() throws IOException {
        Path cfg = TrainFixtures.writeConfig(dir.resolve("partial.yaml"), "partial", TrainFixtures.ACODM);
        Path partial = TrainFixtures.train(cfg, dir.resolve("partial"), "--max-steps", "5");  // stops after step 5 with a checkpoint
        assertFalse(Files.exists(partial.resolve(ActorExport.FILE_NAME)));
        Path out = dir.resolve("from-partial.pt");
        TrainFixtures.CliResult r = export("--run", partial.toString(), "--out", out.toString());
        assertTrue(r.out().contains("has no actor.pt (not finished): exported its newest checkpoint"), r.out());
        assertEquals(5, ActorExport.read(out).stepsTrained());
    }

    @Test void aRunWithoutAnAgentIsRefused() throws IOException {
        Path cfg = TrainFixtures.writeConfig(dir.resolve("static.yaml"), "static", "  method: static");
        Path s = TrainFixtures.train(cfg, dir.resolve("static"), "--max-steps", "2");
        TrainFixtures.CliResult r = TrainFixtures.cli("actor", "export", "--run", s.toString(), "--out", dir.resolve("no.pt").toString());
        assertEquals(1, r.rc(), r.all());
        assertTrue(r.err().contains("is of a 'static' run; only an acodm run trains an actor to export"), r.err());
        assertFalse(r.out().contains("not finished"), "the refusal comes first, alone:\n" + r.out());
        assertFalse(Files.exists(dir.resolve("no.pt")));

        r = TrainFixtures.cli("actor", "export", "--run", run.toString(), "--checkpoint", run.toString(), "--out", dir.resolve("no.pt").toString());
        assertNotEquals(0, r.rc(), "--run and --checkpoint exclude each other");
        assertTrue(r.err().contains("mutually exclusive"), r.err());
    }

    private static TrainFixtures.CliResult export(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "actor";
        all[1] = "export";
        System.arraycopy(args, 0, all, 2, args.length);
        TrainFixtures.CliResult r = TrainFixtures.cli(all);
        assertEquals(0, r.rc(), r.all());
        return r;
    }

    /** The actor's weights for a few fixed, random states. */
    private static float[] act(Path actor) {
        try (AgentNetworks a = AgentNetworks.importedActor(actor, "cpu")) {
            float[] states = new float[4 * a.stateDim()];
            Random r = new Random(3);
            for (int i = 0; i < states.length; i++) states[i] = (float) r.nextGaussian();
            return a.act(states, 4);
        }
    }
}
