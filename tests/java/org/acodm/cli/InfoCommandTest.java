package org.acodm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.acodm.engine.CudaDevices;
import org.acodm.train.TrainFixtures;
import org.junit.jupiter.api.Test;

/**
 * `acodm info` lists the GPUs through the JavaCPP Presets for CUDA: on a machine without a usable CUDA driver it says
 * so in one line (and everything else still prints); on a GPU machine one line per device with the driver, runtime
 * and cuDNN versions.
 */
class InfoCommandTest {
    @Test void listsTheGpusOrSaysInOneLineWhyThereAreNone() {
        TrainFixtures.CliResult r = TrainFixtures.cli("info");
        assertEquals(0, r.rc(), r.all());
        List<String> lines = r.out().lines().toList();
        CudaDevices.Report cuda = CudaDevices.probe();
        List<String> gpuLines = lines.stream().filter(l -> l.startsWith("gpu cuda:")).toList();
        if (!cuda.available()) {
            assertEquals(List.of("gpus: none usable: " + cuda.reason()), lines.stream().filter(l -> l.startsWith("gpu")).toList(), r.out());
            assertTrue(!cuda.reason().isBlank() && !cuda.reason().contains("\n"), cuda.reason());
        } else {
            assertEquals(cuda.gpus().size(), gpuLines.size(), r.out());
            assertTrue(gpuLines.get(0).matches("gpu cuda:0 .+, [0-9.]+ GiB, compute capability \\d+\\.\\d+"), gpuLines.get(0));
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("cuda: driver ")), r.out());
        }
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("distributed: c10d Gloo")), r.out());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("libtorch ")), r.out());
    }
}
