package org.acodm.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.acodm.config.ConfigWriter;
import org.acodm.io.AtomicFile;
import org.acodm.mixing.ActorExport;
import org.acodm.train.Checkpoints;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code acodm actor}: the AC-ODM actor as a file another run can load (mixing.frozen_actor.actor). */
@Command(name = "actor", mixinStandardHelpOptions = true, description = "Work with AC-ODM actors.",
        subcommands = {ActorCommand.Export.class, CommandLine.HelpCommand.class})
public final class ActorCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = {"Write an AC-ODM actor with everything needed to use it elsewhere (domains, state layout, network shape,",
                    "the proxy's agent config): from a run (its final actor.pt; the newest checkpoint if the run is not finished)",
                    "or from one checkpoint directory (the actor as it was at that step)."})
    static final class Export implements Callable<Integer> {
        @Spec CommandSpec spec;

        static final class Source {
            @Option(names = "--run", paramLabel = "RUN_DIR", required = true, description = "Run directory of an acodm run.")
            Path run;

            @Option(names = "--checkpoint", paramLabel = "CKPT_DIR", required = true,
                    description = "A checkpoint directory of an acodm run (RUN_DIR/checkpoints/step-NNNNNNNNN).")
            Path checkpoint;
        }

        @ArgGroup(exclusive = true, multiplicity = "1")
        Source source;

        @Option(names = "--out", required = true, paramLabel = "FILE", description = "The actor file to write (e.g. actor.pt).")
        Path out;

        @Option(names = "--overwrite", description = "Replace an existing --out file (atomically: a reader sees the old actor or the new one).")
        boolean overwrite;

        @Override public Integer call() throws Exception {
            PrintWriter w = spec.commandLine().getOut();
            // An actor file may be what a target run's mixing.frozen_actor.actor names: it is replaced only when asked to.
            if (Files.isDirectory(out))
                throw new IllegalArgumentException("--out " + out + " is a directory; pass the actor file to write, e.g. " + out.resolve(ActorExport.FILE_NAME));
            if (Files.exists(out, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !overwrite)
                throw new IllegalArgumentException("--out " + out + " exists; pass --overwrite to replace it, or choose another file. Nothing was written");
            ActorExport meta;
            String from;
            if (source.run != null) {
                Path actor = source.run.resolve(ActorExport.FILE_NAME);
                if (Files.isRegularFile(actor)) {
                    meta = ActorExport.read(actor);  // refuses a file that is not an exported actor before copying it
                    AtomicFile.copy(actor, out);
                    from = actor.toString();
                } else {
                    // An unfinished (or interrupted) proxy run has no actor.pt yet; its newest checkpoint has the agent.
                    Path ckpt = Checkpoints.find(source.run, "latest", w::println);
                    meta = Checkpoints.exportActor(ckpt, out);  // refuses a run without an agent before anything is said or written
                    w.println("run " + source.run + " has no " + ActorExport.FILE_NAME + " (not finished): exported its newest checkpoint");
                    from = ckpt.toString();
                }
            } else {
                meta = Checkpoints.exportActor(source.checkpoint, out);
                from = source.checkpoint.toString();
            }
            w.printf(Locale.ROOT, "actor of %s -> %s%n", from, out);
            w.printf(Locale.ROOT, "  trained %d of %d proxy steps; %s state of dimension %d (K = %d%s); %d hidden layers of %d%n",
                    meta.stepsTrained(), meta.proxyTotalSteps(), ConfigWriter.enumName(meta.stateLayout()), meta.stateDim(),
                    meta.domains().size(), meta.stateLayout().needsNorms() ? ", L = " + meta.stateLayers() : "", meta.layers(), meta.hidden());
            w.println("  domains " + meta.domains());
            w.flush();
            return 0;
        }
    }
}
