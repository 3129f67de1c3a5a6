package org.acodm.cli;

import java.util.concurrent.Callable;
import org.acodm.engine.Model;
import picocli.CommandLine.Command;

/** {@code acodm info}: what this build is and what it can use. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Print the build: libtorch version, CPU threads, CUDA kernels and devices, Java runtime.")
public final class InfoCommand implements Callable<Integer> {
    @Override public Integer call() {
        System.out.println("acodm 0.1.0");
        System.out.println("java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")");
        System.out.println("cpu cores " + Runtime.getRuntime().availableProcessors());
        System.out.println(Model.buildInfo());
        System.out.println("numeric environment (what a checkpoint records; a resume under another is not bit-exact):");
        Model.numericEnvironment().values().forEach((k, v) -> System.out.println("  " + k + " = " + v));
        return 0;
    }
}
