package org.acodm.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Synthetic run directories in the trainer's format, with known numbers. */
final class RunDirs {
    private RunDirs() {}

    static final List<String> DOMAINS = List.of("Github", "ArXiv", "Wikipedia (en)");

    /**
     * Writes run.json and metrics.jsonl: a step record for every step 1..lastStep (weights drifting from uniform
     * towards the first domain) and an eval record at each of {@code evalSteps} with the given perplexities.
     */
    static Path write(Path root, String name, String method, long[] evalSteps, double[] ppl, String tail) throws IOException {
        return write(root, name, method, "demo-target", evalSteps, ppl, tail);
    }

    /** As above, of the given model. */
    static Path write(Path root, String name, String method, String model, long[] evalSteps, double[] ppl, String tail) throws IOException {
        Path dir = Files.createDirectories(root.resolve(name));
        Files.writeString(dir.resolve("run.json"), String.format(Locale.ROOT,
                "{\"name\":\"%s\",\"method\":\"%s\",\"model\":\"%s\",\"domains\":[\"Github\",\"ArXiv\",\"Wikipedia (en)\"],"
                        + "\"steps\":%d,\"tokens_per_step\":2048,\"config\":{\"train\":{\"steps\":%d}}}",
                name, method, model, evalSteps[evalSteps.length - 1], evalSteps[evalSteps.length - 1]));
        List<String> lines = new ArrayList<>();
        long last = evalSteps[evalSteps.length - 1];
        int e = 0;
        for (long s = 0; s <= last; s++) {
            if (s > 0) {
                double t = (double) s / last;
                double g = (1 + t) / 3, a = (1 - t / 2) / 3, w = 1 - g - a;
                lines.add(String.format(Locale.ROOT, "{\"type\":\"step\",\"step\":%d,\"loss\":%.4f,\"domain_loss\":{\"Github\":1.0},"
                        + "\"weights\":{\"Github\":%.6f,\"ArXiv\":%.6f,\"Wikipedia (en)\":%.6f},\"lr\":0.001,\"grad_norm\":1.5,"
                        + "\"tokens_per_s\":5000.0,\"elapsed_s\":%.1f}", s, 3.0 - t, g, a, w, s * 0.4));
            }
            if (e < evalSteps.length && evalSteps[e] == s) {
                double loss = Math.log(ppl[e]);
                lines.add(String.format(Locale.ROOT, "{\"type\":\"eval\",\"step\":%d,\"loss\":%.17g,\"ppl\":%.17g,\"bpb\":%.17g,"
                                + "\"domain_loss\":{\"Github\":%.6f},\"domain_ppl\":{\"Github\":%.6f,\"ArXiv\":%.6f,\"Wikipedia (en)\":%.6f},"
                                + "\"domain_bpb\":{\"Github\":1.0}}",
                        s, loss, ppl[e], loss / Math.log(2) / 4, loss, ppl[e] * 0.8, ppl[e] * 1.1, ppl[e] * 1.3));
                e++;
            }
        }
        Files.writeString(dir.resolve("metrics.jsonl"), String.join("\n", lines) + "\n" + tail);
        return dir;
    }
}
