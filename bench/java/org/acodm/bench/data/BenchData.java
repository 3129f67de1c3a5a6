package org.acodm.bench.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Where the benchmarks find the shared data: {@code ../shared} relative to the project root. */
final class BenchData {
    private BenchData() {}

    /**
     * The project root: the {@code acodm.root} property when set, else the working directory, or its parent when
     * the benchmarks run from {@code bench/}. Forked JMH JVMs inherit the working directory, not properties.
     */
    static Path root() {
        String p = System.getProperty("acodm.root");
        if (p != null) return Path.of(p).toAbsolutePath().normalize();
        Path cwd = Path.of("").toAbsolutePath();
        return Files.isDirectory(cwd.resolve("bench")) ? cwd : cwd.getParent();
    }

    static Path minipile() { return root().resolve("../shared/data/minipile").normalize(); }

    static Path neoxTokenizer() { return root().resolve("../shared/data/tokenizers/gpt-neox-20b.tokenizer.json").normalize(); }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> w = Files.walk(p)) {
            for (Path q : w.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }
}
