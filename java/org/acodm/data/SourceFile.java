package org.acodm.data;

import java.nio.file.Path;

/** One input file and the split it feeds; size and modification time identify its content for resume checks. */
public record SourceFile(Split split, Path path, long bytes, long modifiedMillis) {}
