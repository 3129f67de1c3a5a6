package org.acodm.cli;

import java.util.concurrent.Callable;
import org.acodm.engine.CudaDevices;
import org.acodm.engine.Model;
import org.acodm.engine.ProcessGroup;
import picocli.CommandLine.Command;

/** {@code acodm info}: what this build is and what it can use. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Print the build: libtorch version, CPU threads, CUDA kernels, GPUs (name, memory, compute capability), driver, runtime and cuDNN versions, Java runtime.")
public final class InfoCommand implements Callable<Integer> {
    @Override public Integer call() {
        System.out.println("acodm 0.1.0");
        System.out.println("java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")");
        System.out.println("cpu cores " + Runtime.getRuntime().availableProcessors());
        System.out.println(Model.buildInfo());
        CudaDevices.Report cuda = CudaDevices.probe();
        if (!cuda.available()) {
            System.out.println("gpus: none usable: " + cuda.reason());
        } else {
            System.out.println("cuda: driver " + CudaDevices.Report.version(cuda.driverVersion()) + ", runtime "
                    + CudaDevices.Report.version(cuda.runtimeVersion()) + ", cuDNN " + (cuda.cudnn() == null ? "not found" : cuda.cudnn()));
            cuda.gpus().forEach(g -> System.out.println("gpu " + g));
        }
        System.out.println("distributed: c10d Gloo" + (ProcessGroup.ncclCompiled() ? " and NCCL" : " (no NCCL in this build)")
                + "; a rank on a GPU uses cuda:LOCAL_RANK");
        System.out.println("numeric environment (what a checkpoint records; a resume under another is not bit-exact):");
        Model.numericEnvironment().values().forEach((k, v) -> System.out.println("  " + k + " = " + v));
        return 0;
    }
}
