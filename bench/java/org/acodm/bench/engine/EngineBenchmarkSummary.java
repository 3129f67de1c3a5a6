package org.acodm.bench.engine;

import java.util.Locale;
import java.util.Map;

/** Summaries of the engine groups (step, reward, alignment, gpu); the headline ratio is the last line. */
public final class EngineBenchmarkSummary {
    private EngineBenchmarkSummary() {}

    public static String summary(String group, Map<String, Double> s) {
        return switch (group) {
            case "step" -> step(s);
            case "reward" -> reward(s);
            case "alignment" -> alignment(s);
            case "gpu" -> gpu(s);
            default -> throw new IllegalArgumentException(group);
        };
    }

    private static double get(Map<String, Double> s, String key) {
        Double v = s.get(key);
        if (v == null) throw new IllegalStateException("no JMH result for '" + key + "' (have " + s.keySet() + ")");
        return v;
    }

    private static String step(Map<String, Double> s) {
        StringBuilder sb = new StringBuilder();
        StringBuilder last = new StringBuilder("train step tokens/s:");
        for (String shape : new String[] {"tiny:8:64", "small:8:128"}) {
            String[] p = shape.split(":");
            double tokens = Double.parseDouble(p[1]) * Double.parseDouble(p[2]);
            double train = get(s, "TrainStepBenchmark.trainStep shape=" + shape);
            double fwd = get(s, "TrainStepBenchmark.forwardOnly shape=" + shape);
            sb.append(String.format(Locale.ROOT, "%-12s train step %8.2f ms (%8.0f tokens/s), forward only %7.2f ms, train/forward %.2f%n",
                    p[0], train, tokens / train * 1e3, fwd, train / fwd));
            last.append(String.format(Locale.ROOT, " %s %.0f;", p[0], tokens / train * 1e3));
        }
        double tiny = get(s, "TrainStepBenchmark.trainStep shape=tiny:8:64");
        double small = get(s, "TrainStepBenchmark.trainStep shape=small:8:128");
        last.append(String.format(Locale.ROOT, " small/tiny step time: %.2f", small / tiny));
        return sb.append(last).toString();
    }

    private static String reward(Map<String, Double> s) {
        double plain = get(s, "RewardBenchmark.trainStep method=plain");
        double capture = get(s, "RewardBenchmark.trainStep method=capture");
        double backward = get(s, "RewardBenchmark.trainStep method=backward");
        return String.format(Locale.ROOT,
                "plain step %.1f ms; step with S (capture) %.1f ms; step with S by one backward per domain %.1f ms%n"
                        + "step with S / plain step: %.3f; K-backward / ours: %.2f",
                plain, capture, backward, capture / plain, backward / capture);
    }

    private static String alignment(Map<String, Double> s) {
        double k = 22, p = 4e6, gb = k * p * 4 / 1e9;
        double fused = get(s, "AlignmentKernelBenchmark.fused k=22 p=4000000");
        double mm = get(s, "AlignmentKernelBenchmark.torchMm k=22 p=4000000");
        double copy = get(s, "AlignmentKernelBenchmark.copy k=22 p=4000000");
        return String.format(Locale.ROOT,
                "K=22 P=4e6 (%.2f GB read per pass)%n"
                        + "fused kernel   %8.2f ms  %6.2f GB/s%n"
                        + "torch::mm      %8.2f ms  %6.2f GB/s%n"
                        + "plain copy     %8.2f ms  %6.2f GB/s read (+ the same written)%n"
                        + "fused/torch.mm speedup: %.2f",
                gb, fused, gb / fused * 1e3, mm, gb / mm * 1e3, copy, gb / copy * 1e3, mm / fused);
    }

    private static String gpu(Map<String, Double> s) {
        StringBuilder sb = new StringBuilder();
        StringBuilder last = new StringBuilder("cublasSsyrk / fused time:");
        for (String k : new String[] {"8", "22", "64"})
            for (String p : new String[] {"1000000", "50000000"}) {
                String key = " k=" + k + " p=" + p;
                double fused = get(s, "GpuGramBenchmark.fused" + key), syrk = get(s, "GpuGramBenchmark.cublasSsyrk" + key);
                double gb = Double.parseDouble(k) * Double.parseDouble(p) * 4 / 1e9;
                sb.append(String.format(Locale.ROOT, "K=%-2s P=%-8s fused %8.3f ms (%7.1f GB/s)   cublasSsyrk %8.3f ms (%7.1f GB/s)%n", k, p,
                        fused, gb / fused * 1e3, syrk, gb / syrk * 1e3));
                last.append(String.format(Locale.ROOT, " K=%s P=%.0e %.2f;", k, Double.parseDouble(p), syrk / fused));
            }
        return sb.append(last).toString();
    }
}
