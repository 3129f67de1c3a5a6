package org.acodm.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code acodm} command: every user-facing job is a subcommand registered here. */
@Command(name = "acodm", mixinStandardHelpOptions = true, version = "acodm 0.1.0",
        description = "Online data mixing for language-model pretraining (AC-ODM and its baselines).",
        subcommands = {InfoCommand.class, DemoCommand.class, StudyCommand.class, TrainCommand.class, PrepareCommand.class, CorpusCommand.class, ReportCommand.class, ExportCommand.class, ActorCommand.class, EvalCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, shared by {@link #main} and the tests. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            // A user error (bad file, bad key) is one clear line, not a stack trace.
            cmd.getErr().println("acodm: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            if (System.getenv("ACODM_DEBUG") != null) ex.printStackTrace(cmd.getErr());
            return 1;
        });
        return cl;
    }
}
