package org.acodm.train;

import java.util.Arrays;
import org.acodm.cli.Main;

/**
 * {@code acodm ARGS...} that SIGKILLs itself just before stage STAGE of the checkpoint of step STEP (see
 * {@link Checkpoints#STAGES}): {@code CheckpointFaultMain STEP STAGE train --config ...}. A real kill, from outside
 * the JVM (kill -9), so nothing after that point runs: no finally, no shutdown hook.
 */
public final class CheckpointFaultMain {
    private CheckpointFaultMain() {}

    public static void main(String[] args) throws Exception {
        long step = Long.parseLong(args[0]);
        String stage = args[1];
        if (!Checkpoints.STAGES.contains(stage)) throw new IllegalArgumentException("no stage " + stage + " in " + Checkpoints.STAGES);
        Checkpoints.faults = (s, name) -> {
            if (s != step || !name.equals(stage)) return;
            System.out.println("killing myself before " + name + " of step " + s);
            System.out.flush();
            try {
                new ProcessBuilder("kill", "-9", Long.toString(ProcessHandle.current().pid())).inheritIO().start().waitFor();
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new AssertionError("still alive after kill -9");
        };
        System.exit(Main.commandLine().execute(Arrays.copyOfRange(args, 2, args.length)));
    }
}
