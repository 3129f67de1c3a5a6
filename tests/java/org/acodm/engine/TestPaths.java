package org.acodm.engine;

import java.nio.file.Path;

/** The project root (surefire sets acodm.root) and the shared data beside the checkout. */
public final class TestPaths {
    public static Path root() {
        String root = System.getProperty("acodm.root");
        return Path.of(root == null ? "." : root).toAbsolutePath().normalize();
    }

    public static Path shared() {
        return root().resolve("../shared").normalize();
    }

    private TestPaths() {}
}
